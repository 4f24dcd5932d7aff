"""asyncpg pool for the mock Spine.

The service talks to PostgreSQL through asyncpg directly rather than an ORM
session: every request is one or two prepared statements, and the retrieve
benchmark compares the HTTP path with a bare asyncpg query (see bench/).
"""

from typing import Any

import asyncpg
import orjson
from sqlalchemy.engine import make_url

JSONB_VERSION = b"\x01"


def libpq_url(url: str) -> str:
    """The plain postgresql:// form asyncpg accepts, whatever driver the URL names."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def sqlalchemy_url(url: str) -> str:
    return make_url(url).set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)


def _encode_jsonb(value: Any) -> bytes:
    return JSONB_VERSION + orjson.dumps(value)


def _decode_jsonb(data: bytes) -> Any:
    return orjson.loads(data[1:])


async def init_connection(connection: Any) -> None:
    # Binary format, so COPY (which is binary in asyncpg) can write jsonb too.
    await connection.set_type_codec(
        "jsonb",
        encoder=_encode_jsonb,
        decoder=_decode_jsonb,
        schema="pg_catalog",
        format="binary",
    )


async def _keep_session(_connection: Any) -> None:
    """No reset on release: asyncpg's default costs a round trip (RESET ALL, UNLISTEN...)
    per borrowed connection, and this service sets no session state, listens to nothing,
    takes no advisory locks and always closes its transactions."""


async def create_pool(url: str, *, size: int = 10) -> asyncpg.Pool:
    pool: asyncpg.Pool = await asyncpg.create_pool(
        libpq_url(url), min_size=1, max_size=size, init=init_connection, reset=_keep_session
    )
    return pool


async def connect(url: str) -> Any:
    connection = await asyncpg.connect(libpq_url(url))
    await init_connection(connection)
    return connection
