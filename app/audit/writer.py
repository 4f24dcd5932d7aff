"""Audit rows with no transaction to share, appended straight on asyncpg, in groups.

A request that reads a child's record from the Spine touches no table of ours,
yet owes an audit row before its response leaves. Through the ORM that one
statement pays a session connection checkout, isolation-level switching and
result processing — more Python time than the statement itself. The writer
sends the same chained append (`repository.append_statement`, one autocommitted
statement) on one connection of its own. Rows that do share a transaction with
the action they record still go through the session (`service`), so they land
with it or not at all.

A statement that must land with its audit row but shares no transaction with
anything else (an unscheduled flag read's access events and notification, with the
read's row riding on it: `repository.riding_append`) goes through the writer too,
as `carry`.

One connection is enough: every append, from any connection, waits for the one
chain-head row lock, so appends never run side by side anyway. Rows that arrive
while an append is in flight wait and go together in the next statement, and
waiting runs of one carrying statement go together pipelined in one implicit
transaction: one round trip and one WAL flush for all of them (group commit).
Each caller returns only once its own rows are committed.
"""

import asyncio
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

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


@dataclass(frozen=True, slots=True)
class Carried:
    """Runs of one statement that carries its own audit row (`repository.riding_append`)
    and returns that row's seq, NULL or no row meaning it did not land. The runs of one
    `carry` commit together or not at all."""

    statement: DriverStatement
    runs: Sequence[Sequence[Any]]


_Job = Sequence[Content] | Carried
_Waiting = tuple[_Job, "asyncio.Future[None]"]


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
        await self._queued(contents)

    async def carry(self, statement: DriverStatement, runs: Sequence[Sequence[Any]]) -> None:
        """Run `statement` once per argument list in `runs`, committed before this returns,
        in one transaction with any other callers' runs of it that are waiting: one round
        trip and one WAL flush for them all. Raises if any run's audit row did not land."""
        await self._queued(Carried(statement, runs))

    async def _queued(self, job: _Job) -> None:
        if self._closed:
            raise WriterClosed("the audit writer is closed")
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append((job, done))
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
        """Run the group's jobs (all of one kind) in one statement; the error, if it failed."""
        try:
            first = group[0][0]
            if isinstance(first, Carried):
                runs = [run for job, _ in group if isinstance(job, Carried) for run in job.runs]
                await self._run(first.statement, runs)
            else:
                rows = [row for job, _ in group if not isinstance(job, Carried) for row in job]
                await self._send(rows)
        except Exception as exc:
            return exc
        return None

    async def _send(self, rows: Sequence[Content]) -> None:
        statement, params = append_statement(rows)
        compiled = _STATEMENTS[statement]
        await self._run(compiled, [compiled.args(params)])

    async def _run(self, statement: DriverStatement, runs: Sequence[Sequence[Any]]) -> None:
        try:
            landed = await self._pipelined(statement, runs)
        except Exception:
            if self._connection is not None and not self._connection.is_closed():
                raise  # the database refused the statement: nothing to retry
            # The connection was lost (server restart, network): once more on a new one.
            # Had the lost statement committed, its rows are now recorded twice, which a
            # reader of the trail can see (same request id); never recording them is worse.
            landed = await self._pipelined(statement, runs)
        if len(landed) != len(runs) or any(row[0] is None for row in landed):
            raise RuntimeError("an audit row was not appended")

    async def _pipelined(
        self, statement: DriverStatement, runs: Sequence[Sequence[Any]]
    ) -> list[asyncpg.Record]:
        connection = await self._connected()
        if len(runs) == 1:
            row = await connection.fetchrow(statement.sql, *runs[0])
            return [] if row is None else [row]
        # Pipelined in one implicit transaction (asyncpg >= 0.22): all land or none.
        rows: list[asyncpg.Record] = await connection.fetchmany(statement.sql, runs)
        return rows

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
    """The first waiting job and those after it of the same kind (plain rows, or runs of
    the same carrying statement) that fit one round trip with it: up to `LARGE_APPEND`
    rows or runs, where the one-statement append stops being cheap. Jobs of other kinds
    keep their places."""
    first = waiting.popleft()
    group, size, kind = [first], _size(first[0]), _kind(first[0])
    others: list[_Waiting] = []
    while waiting:
        entry = waiting.popleft()
        if _kind(entry[0]) is kind and size + _size(entry[0]) <= LARGE_APPEND:
            group.append(entry)
            size += _size(entry[0])
        else:
            others.append(entry)
    waiting.extendleft(reversed(others))
    return group


def _kind(job: _Job) -> DriverStatement | None:
    return job.statement if isinstance(job, Carried) else None


def _size(job: _Job) -> int:
    return len(job.runs) if isinstance(job, Carried) else len(job)


def _settle(group: list[_Waiting], error: Exception | None) -> None:
    for _, done in group:
        if done.done():  # the caller was cancelled; the rows were still written (or not)
            continue
        if error is None:
            done.set_result(None)
        else:
            done.set_exception(error)
