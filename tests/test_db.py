"""The request's unit of work (`app.db`): statements sent on the asyncpg connection itself
share the session's transaction, and a request commits only what it began."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import column, select, table, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.auth.models import UsedAssertion
from app.db import (
    DriverStatement,
    autocommit_unless_begun,
    autocommits,
    create_sessionmaker,
    driver_connection,
    get_session,
)

NOTES = table("db_test_notes", column("note"))


@pytest.fixture
async def notes(engine: AsyncEngine) -> AsyncIterator[None]:
    async with engine.begin() as connection:
        await connection.execute(text("CREATE TABLE db_test_notes (note text NOT NULL)"))
    yield
    async with engine.begin() as connection:
        await connection.execute(text("DROP TABLE db_test_notes"))


async def _notes(engine: AsyncEngine) -> list[str]:
    async with create_sessionmaker(engine)() as session:
        return list((await session.scalars(select(NOTES.c.note))).all())


INSERT = DriverStatement(text("INSERT INTO db_test_notes (note) VALUES (:note)"))


async def _add(session: AsyncSession, note: str) -> None:
    connection = await driver_connection(session)
    await connection.execute(INSERT.sql, *INSERT.args({"note": note}))


async def test_a_driver_statement_first_in_a_transaction_rolls_back_with_it(
    engine: AsyncEngine, notes: None
) -> None:
    async with create_sessionmaker(engine)() as session:
        await session.begin()
        await _add(session, "undone")  # no statement through SQLAlchemy before it
        await session.execute(text("SELECT 1"))
        await session.rollback()
    assert await _notes(engine) == []


async def test_a_driver_statement_on_an_autocommit_session_commits_at_once(
    engine: AsyncEngine, notes: None
) -> None:
    async with create_sessionmaker(engine)() as session:
        assert await autocommit_unless_begun(session)
        assert autocommits(session)
        await _add(session, "kept")
        assert await _notes(engine) == ["kept"]  # another connection sees it already
        await session.rollback()
        assert not autocommits(session)
    assert await _notes(engine) == ["kept"]


def _request(engine: AsyncEngine) -> Any:
    sessions = create_sessionmaker(engine)
    return SimpleNamespace(app=SimpleNamespace(state=SimpleNamespace(sessionmaker=sessions)))


async def test_the_request_commits_an_object_it_added_though_nothing_began(
    engine: AsyncEngine,
) -> None:
    requested = get_session(_request(engine))
    session = await anext(requested)
    expires = datetime.now(UTC) + timedelta(minutes=5)
    session.add(UsedAssertion(client_id="db-test", jti="j-1", expires_at=expires))
    with pytest.raises(StopAsyncIteration):
        await anext(requested)
    async with create_sessionmaker(engine)() as other:
        kept = await other.scalar(
            select(UsedAssertion.jti).where(UsedAssertion.client_id == "db-test")
        )
    assert kept == "j-1"
