"""Alembic environment for the gateway database (async, asyncpg)."""

from alembic import context
from app.models import Base
from cci_common.database import run_async_migrations

target_metadata = Base.metadata


def run_migrations_offline() -> None:
    context.configure(
        url=context.config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_async_migrations(target_metadata)
