"""Database plumbing: declarative base, engine and session factories, the request unit of work.

The request owns the transaction: services flush, the dependency commits on
success and rolls back on any exception, so an action and its audit row land
together or not at all.
"""

from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase

from cci_common.database import conventional_metadata


class Base(DeclarativeBase):
    metadata = conventional_metadata()


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


async def autocommit_unless_begun(session: AsyncSession) -> bool:
    """Run each of this session's statements as its own transaction: no BEGIN and COMMIT
    round trips. Only for work whose every write is one statement (reads that record
    themselves); a session already in a transaction stays in it (returns False)."""
    if session.in_transaction():
        return False
    await session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
    return True


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    sessionmaker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    async with sessionmaker() as session:
        try:
            yield session
        except BaseException:
            await session.rollback()
            raise
        else:
            await session.commit()


# "function" scope: commit before the response is sent, so a failed commit is an error
# response and never a 200 for a write that did not land.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]
