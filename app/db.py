"""Database plumbing: declarative base, engine and session factories, the request unit of work.

The request owns the transaction: services flush, the dependency commits on
success and rolls back on any exception, so an action and its audit row land
together or not at all. A hot read whose every write is one statement (a flag
search) skips the session: it runs compiled statements (`DriverStatement`) on a
pooled asyncpg connection with no transaction open (`driver_connection`).
"""

import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from functools import cache
from typing import Annotated, Any, TypeVar

import asyncpg
from fastapi import Depends, Request
from sqlalchemy import ClauseElement, Connection, event, inspect
from sqlalchemy import exc as sa_exc
from sqlalchemy import types as sa_types
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase, Session, SessionTransaction
from sqlalchemy.sql.compiler import SQLCompiler

from cci_common.database import conventional_metadata


class Base(DeclarativeBase):
    metadata = conventional_metadata()


ModelT = TypeVar("ModelT", bound=Base)


# No ping per checkout (a round trip on every request): connections are recycled before
# server or proxy idle timeouts, and one that dies anyway fails its request with a
# disconnect error, which invalidates the whole pool so the next requests reconnect.
POOL_RECYCLE_SECONDS = 1800


def create_engine(url: str, *, pool_size: int = 10, max_overflow: int = 10) -> AsyncEngine:
    return create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_recycle=POOL_RECYCLE_SECONDS,
    )


def create_sessionmaker(
    engine: AsyncEngine, *, info: dict[str, Any] | None = None
) -> async_sessionmaker[AsyncSession]:
    """`info` is copied into each session's `Session.info`."""
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False, info=info)


class DriverStatement:
    """A statement compiled once to asyncpg's `$n` form, to run on an asyncpg connection
    itself (`driver_connection`). For the few hot statements whose ORM execution (cache-key
    walk of a large statement, bind and result processing) costs more CPU than the
    database's work; JSON parameters are passed already serialised, as str."""

    def __init__(self, statement: ClauseElement) -> None:
        compiled = statement.compile(dialect=asyncpg_dialect())  # type: ignore[no-untyped-call]
        if not isinstance(compiled, SQLCompiler):
            raise TypeError(f"not a SQL statement: {statement!r}")
        self.sql: str = compiled.string
        self._order: tuple[str, ...] = tuple(compiled.positiontup or ())
        self._fixed: dict[str, Any] = dict(compiled.params)  # literals SQLAlchemy binds

    def args(self, params: dict[str, Any]) -> list[Any]:
        return [params[name] if name in params else self._fixed[name] for name in self._order]


def loaded(model: type[ModelT], rows: Sequence[asyncpg.Record]) -> list[ModelT]:
    """Instances of `model` (transient: in no session) from the rows of a `select(model)`
    run as a `DriverStatement`, with the values SQLAlchemy would have given."""
    keys, uuids = _attribute_keys(model)
    instances = []
    for row in rows:
        values = {keys[name]: value for name, value in row.items()}
        for key in uuids:
            if values[key] is not None:
                # asyncpg's own UUID type, which orjson (and so our JSON) refuses.
                values[key] = uuid.UUID(bytes=values[key].bytes)
        instances.append(model(**values))
    return instances


@cache
def _attribute_keys(model: type[Base]) -> tuple[dict[str, str], tuple[str, ...]]:
    """(column name -> mapped attribute name, the attributes holding UUIDs)."""
    columns = inspect(model).columns.items()
    uuids = []
    for key, column in columns:
        if isinstance(column.type, sa_types.Uuid):
            if not column.type.as_uuid:
                raise TypeError(f"{model.__name__}.{key} loads as str; loaded() gives UUIDs")
            uuids.append(key)
    return {column.name: key for key, column in columns}, tuple(uuids)


_AUTOCOMMIT = "cci.db.autocommit"
_COMMIT_NEEDED = "cci.db.commit-needed"
_BEGUN = "cci.db.database-begun"


async def autocommit_unless_begun(session: AsyncSession) -> bool:
    """Run each of this session's statements as its own transaction: no BEGIN and COMMIT
    round trips. Only for work whose every write is one statement (reads that record
    themselves); a session already in a transaction stays in it (returns False)."""
    if session.in_transaction():
        return False
    await session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
    session.info[_AUTOCOMMIT] = True
    return True


def autocommits(session: AsyncSession | Session) -> bool:
    """Whether each statement of the session's current connection commits on its own."""
    return bool(session.info.get(_AUTOCOMMIT))


def commit_needed(session: AsyncSession | Session) -> None:
    """Make the request's commit run although nothing began a transaction (work that a
    `before_commit` listener carries out, such as queued audit rows)."""
    session.info[_COMMIT_NEEDED] = True


def database_begun(session: AsyncSession | Session) -> bool:
    """Whether the session's transaction holds a connection (a statement ran or flushed)."""
    return bool(session.info.get(_BEGUN))


@event.listens_for(Session, "after_begin")
def _note_begun(session: Session, transaction: SessionTransaction, connection: Connection) -> None:
    session.info[_BEGUN] = True


@event.listens_for(Session, "after_transaction_end")
def _forget_transaction_state(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        for key in (_AUTOCOMMIT, _COMMIT_NEEDED, _BEGUN):
            session.info.pop(key, None)


# Errors that say the database cannot serve now (unreachable, starting or shutting down,
# out of connections, a statement cancelled by its timeout), not that a statement was wrong.
_UNAVAILABLE = (
    OSError,
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,
    asyncpg.exceptions.InsufficientResourcesError,
)


def database_unavailable(error: BaseException) -> bool:
    """Whether `error` (raised through SQLAlchemy or straight from asyncpg) means the
    database could not serve the request for now: a 503 to retry, not a 500."""
    if isinstance(error, sa_exc.TimeoutError):  # no pooled connection came free in time
        return True
    if isinstance(error, sa_exc.DBAPIError):
        if error.connection_invalidated:
            return True
        error = error.orig.__cause__ or error.orig if error.orig is not None else error
    return isinstance(error, _UNAVAILABLE)


def _has_work(session: AsyncSession) -> bool:
    if session.info.get(_COMMIT_NEEDED) or session.new or session.dirty or session.deleted:
        return True
    # Statements on an autocommit connection committed as they ran.
    return session.in_transaction() and not autocommits(session)


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    sessionmaker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    async with sessionmaker() as session:
        try:
            yield session
        except BaseException:
            await session.rollback()
            raise
        else:
            # A request that touched nothing (its reads went elsewhere, its audit row is
            # written) skips the commit's round through the ORM.
            if _has_work(session):
                await session.commit()


# "function" scope: commit before the response is sent, so a failed commit is an error
# response and never a 200 for a write that did not land.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]


@asynccontextmanager
async def driver_connection(engine: AsyncEngine) -> AsyncIterator[asyncpg.Connection]:
    """An asyncpg connection from the engine's pool with no transaction open: each
    statement commits on its own. For hot paths whose every statement is a
    `DriverStatement` and whose every write is one statement; for a flag read, the
    session's checkout, isolation switch and ORM result processing cost as much CPU as
    all the rest of the read. A route opens it in its body rather than as a dependency,
    so the connection goes back before the response renders."""
    async with engine.connect() as connection:
        pooled = await connection.get_raw_connection()
        driver: asyncpg.Connection = pooled.driver_connection
        try:
            yield driver
        except Exception as exc:
            if driver.is_closed():
                # Whatever asyncpg raised as it went (it varies with the moment), the
                # request failed because the database went away: a 503 to retry.
                raise ConnectionError("the database connection was lost") from exc
            raise
        finally:
            if driver.is_closed():
                # Lost (server restart, terminated backend): the pool cannot see errors
                # raised past it, so drop the connection rather than hand it out again.
                await connection.invalidate()
