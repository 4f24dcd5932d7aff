"""Audit rows with no transaction to share, appended straight on asyncpg, in groups.

A request that reads a child's record from the Spine touches no table of ours,
yet owes an audit row before its response leaves. Through the ORM that one
statement pays a session connection checkout, isolation-level switching and
result processing — more Python time than the statement itself. The writer
sends the same chained append (`repository.append_statement`, one autocommitted
statement) on one connection of its own. Rows that do share a transaction with
the action they record still go through the session (`service`), so they land
with it or not at all.

One connection is enough: every append, from any connection, waits for the one
chain-head row lock, so appends never run side by side anyway. Rows that arrive
while an append is in flight wait and go together in the next statement: one
round trip and one WAL flush for all of them (group commit). Each caller's
`append` returns only once its own rows are committed.
"""

import asyncio
from collections import deque
from collections.abc import Sequence

import asyncpg
from sqlalchemy.engine import make_url

from app.audit.chain import Content
from app.audit.repository import APPEND_MANY, APPEND_ONE, LARGE_APPEND, append_statement
from app.db import DriverStatement

# An append taking longer than this (waiting on a transaction that sits on the chain head,
# a database that stopped answering) fails its callers, a 503 to retry, rather than hold
# every audited read behind it. The database cancels it, so the rows of a failed append
# never land; the client gives up a little later in case the server cannot answer at all.
# A 20,000-entry batch holds the head for about a second.
APPEND_TIMEOUT_SECONDS = 10.0


_STATEMENTS = {APPEND_ONE: DriverStatement(APPEND_ONE), APPEND_MANY: DriverStatement(APPEND_MANY)}


def asyncpg_dsn(database_url: str) -> str:
    """asyncpg's own DSN for a SQLAlchemy PostgreSQL URL."""
    dsn = make_url(database_url).set(drivername="postgresql")
    if "ssl" in dsn.query:
        # SQLAlchemy's asyncpg dialect takes `ssl=`; asyncpg's DSN says `sslmode=`.
        dsn = dsn.update_query_dict({"sslmode": dsn.query["ssl"]}).difference_update_query(["ssl"])
    return dsn.render_as_string(hide_password=False)


class WriterClosed(ConnectionError):
    """The writer was closed (the application is shutting down): like a lost connection,
    the request may be retried."""


_Waiting = tuple[Sequence[Content], "asyncio.Future[None]"]


class AuditWriter:
    def __init__(self, dsn: str, connection: asyncpg.Connection | None = None) -> None:
        self._dsn = dsn
        self._connection = connection
        self._waiting: deque[_Waiting] = deque()
        self._flusher: asyncio.Task[None] | None = None
        self._closed = False

    @classmethod
    async def open(cls, database_url: str) -> "AuditWriter":
        """A writer on `database_url` (any SQLAlchemy form of a PostgreSQL URL), connected
        now so that a wrong URL fails at start-up rather than on the first read."""
        dsn = asyncpg_dsn(database_url)
        return cls(dsn, await _connect(dsn))

    async def append(self, contents: Sequence[Content]) -> None:
        """Chain and insert `contents`, committed before this returns. A caller cancelled
        meanwhile does not cancel the write: the access it records may already be out."""
        if self._closed:
            raise WriterClosed("the audit writer is closed")
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append((contents, done))
        if self._flusher is None:
            self._flusher = asyncio.create_task(self._flush())
        await done

    async def _flush(self) -> None:
        try:
            while self._waiting:
                group = _take_group(self._waiting)
                error = await self._try(group)
                if error is None or len(group) == 1:
                    _settle(group, error)
                    continue
                # Each caller on its own, so one caller's bad row fails only that caller.
                for entry in group:
                    _settle([entry], await self._try([entry]))
        finally:
            self._flusher = None

    async def _try(self, group: list[_Waiting]) -> Exception | None:
        """Append the group's rows in one statement; the error, if it failed."""
        try:
            await self._send([row for contents, _ in group for row in contents])
        except Exception as exc:
            return exc
        return None

    async def _send(self, rows: Sequence[Content]) -> None:
        statement, params = append_statement(rows)
        compiled = _STATEMENTS[statement]
        args = compiled.args(params)
        try:
            await (await self._connected()).fetchval(compiled.sql, *args)
        except Exception:
            if self._connection is not None and not self._connection.is_closed():
                raise  # the database refused the statement: nothing to retry
            # The connection was lost (server restart, network): once more on a new one.
            # Had the lost statement committed, its rows are now recorded twice, which a
            # reader of the trail can see (same request id); never recording them is worse.
            await (await self._connected()).fetchval(compiled.sql, *args)

    async def _connected(self) -> asyncpg.Connection:
        if self._connection is None or self._connection.is_closed():
            self._connection = await _connect(self._dsn)
        return self._connection

    async def close(self) -> None:
        """Finish the appends already asked for, then close the connection."""
        self._closed = True
        if self._flusher is not None:
            await asyncio.shield(self._flusher)
        if self._connection is not None:
            await self._connection.close()


async def _connect(dsn: str) -> asyncpg.Connection:
    timeout_ms = round(APPEND_TIMEOUT_SECONDS * 1000)
    return await asyncpg.connect(
        dsn,
        server_settings={"statement_timeout": str(timeout_ms)},
        command_timeout=APPEND_TIMEOUT_SECONDS + 5,
    )


def _take_group(waiting: deque[_Waiting]) -> list[_Waiting]:
    """The callers at the front of `waiting` whose rows fit one statement (at least one):
    up to `LARGE_APPEND` rows, where the one-statement append stops being cheap."""
    group: list[_Waiting] = []
    rows = 0
    while waiting and (not group or rows + len(waiting[0][0]) <= LARGE_APPEND):
        entry = waiting.popleft()
        group.append(entry)
        rows += len(entry[0])
    return group


def _settle(group: list[_Waiting], error: Exception | None) -> None:
    for _, done in group:
        if done.done():  # the caller was cancelled; the rows were still written (or not)
            continue
        if error is None:
            done.set_result(None)
        else:
            done.set_exception(error)
