"""Alembic environment for the mock Spine's own database (async, asyncpg)."""

from cci_common.database import run_async_migrations
from mock_spine.models import Base

run_async_migrations(Base.metadata)
