"""Database conventions both services share: constraint naming and the async Alembic run."""

import asyncio

from sqlalchemy import MetaData
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from alembic import context

# Stable constraint names, so migrations can refer to them on any server.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def conventional_metadata() -> MetaData:
    return MetaData(naming_convention=NAMING_CONVENTION)


def run_async_migrations(target_metadata: MetaData) -> None:
    """Alembic's online mode over asyncpg, for an env.py; the URL comes from the caller."""

    def migrate(connection: Connection) -> None:
        context.configure(connection=connection, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()

    async def run() -> None:
        url = context.config.get_main_option("sqlalchemy.url")
        if not url:
            raise RuntimeError("the migration runner must pass the database URL")
        engine = create_async_engine(url)
        async with engine.connect() as connection:
            await connection.run_sync(migrate)
        await engine.dispose()

    asyncio.run(run())
