"""The audit writer's connection string: asyncpg's DSN from the gateway's SQLAlchemy URL."""

import pytest

from app.audit.writer import asyncpg_dsn


@pytest.mark.parametrize(
    ("url", "dsn"),
    [
        ("postgresql+asyncpg://u:p%40ss@db:5432/cci", "postgresql://u:p%40ss@db:5432/cci"),
        (
            "postgresql+asyncpg://u@db/cci?ssl=require",
            "postgresql://u@db/cci?sslmode=require",
        ),
        (
            "postgresql+asyncpg://postgres@/cci?host=/var/run/pg",
            "postgresql://postgres@/cci?host=%2Fvar%2Frun%2Fpg",
        ),
    ],
)
def test_the_dsn_keeps_credentials_and_speaks_asyncpg(url: str, dsn: str) -> None:
    assert asyncpg_dsn(url) == dsn
