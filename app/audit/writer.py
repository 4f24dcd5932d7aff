"""Audit rows with no transaction to share, appended straight on asyncpg.

A request that reads a child's record from the Spine touches no table of ours,
yet owes an audit row before its response leaves. Through the ORM that one
statement pays a session connection checkout, isolation-level switching and
result processing — more Python time than the statement itself. The writer
sends the same chained append (`repository.append_statement`, one autocommitted
statement) on a small asyncpg pool of its own. Rows that do share a transaction
with the action they record still go through the session (`service`), so they
land with it or not at all.
"""

from collections.abc import Sequence
from typing import Any

import asyncpg
from sqlalchemy import TextClause
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect
from sqlalchemy.engine import make_url

from app.audit.chain import Content
from app.audit.repository import APPEND_MANY, APPEND_ONE, append_statement


class _Compiled:
    """A statement in asyncpg's `$n` form and the order of its parameters."""

    def __init__(self, statement: Any) -> None:
        compiled = statement.compile(dialect=asyncpg_dialect())  # type: ignore[no-untyped-call]
        self.sql: str = compiled.string
        self._order: tuple[str, ...] = tuple(compiled.positiontup or ())

    def args(self, params: dict[str, Any]) -> list[Any]:
        return [params[name] for name in self._order]


_STATEMENTS: dict[TextClause, _Compiled] = {
    APPEND_ONE: _Compiled(APPEND_ONE),
    APPEND_MANY: _Compiled(APPEND_MANY),
}


def asyncpg_dsn(database_url: str) -> str:
    """asyncpg's own DSN for a SQLAlchemy PostgreSQL URL."""
    dsn = make_url(database_url).set(drivername="postgresql")
    if "ssl" in dsn.query:
        # SQLAlchemy's asyncpg dialect takes `ssl=`; asyncpg's DSN says `sslmode=`.
        dsn = dsn.update_query_dict({"sslmode": dsn.query["ssl"]}).difference_update_query(["ssl"])
    return dsn.render_as_string(hide_password=False)


class AuditWriter:
    def __init__(self, pool: "asyncpg.Pool[asyncpg.Record]") -> None:
        self._pool = pool

    @classmethod
    async def open(cls, database_url: str, *, size: int) -> "AuditWriter":
        """A pool on `database_url` (any SQLAlchemy form of a PostgreSQL URL)."""
        pool = await asyncpg.create_pool(
            asyncpg_dsn(database_url),
            min_size=1,
            max_size=size,
            reset=_nothing_to_reset,
        )
        return cls(pool)

    async def append(self, contents: Sequence[Content]) -> None:
        """Chain and insert `contents` as a transaction of their own (one statement)."""
        statement, params = append_statement(contents)
        compiled = _STATEMENTS[statement]
        args = compiled.args(params)
        async with self._pool.acquire() as connection:
            await connection.fetchval(compiled.sql, *args)

    async def close(self) -> None:
        await self._pool.close()


async def _nothing_to_reset(connection: asyncpg.Connection) -> None:
    """Skip asyncpg's reset round trip on release (unlock advisory locks, CLOSE ALL,
    UNLISTEN, RESET ALL): the writer's connections only ever run the append, which
    leaves none of those behind."""
