"""Database plumbing (`app.db`): autocommit sessions, the driver connection a hot path runs
on (each statement committed as it runs, a lost connection dropped from the pool), rows
loaded as model instances, and a request that commits only what it began."""

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import bindparam, column, inspect, select, table, text
from sqlalchemy.ext.asyncio import AsyncEngine

from app.auth.models import UsedAssertion
from app.db import (
    DriverStatement,
    autocommit_unless_begun,
    autocommits,
    create_sessionmaker,
    database_unavailable,
    driver_connection,
    get_session,
    loaded,
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


ADD_NOTE = text("INSERT INTO db_test_notes (note) VALUES (:note)")
INSERT = DriverStatement(ADD_NOTE)


async def test_a_statement_on_an_autocommit_session_commits_at_once(
    engine: AsyncEngine, notes: None
) -> None:
    async with create_sessionmaker(engine)() as session:
        assert await autocommit_unless_begun(session)
        assert autocommits(session)
        await session.execute(ADD_NOTE, {"note": "kept"})
        assert await _notes(engine) == ["kept"]  # another connection sees it already
        await session.rollback()
        assert not autocommits(session)
    assert await _notes(engine) == ["kept"]


async def test_a_driver_connection_commits_each_statement_and_returns_clean(
    engine: AsyncEngine, notes: None
) -> None:
    async with driver_connection(engine) as connection:
        await connection.execute(INSERT.sql, *INSERT.args({"note": "kept"}))
        assert await _notes(engine) == ["kept"]  # committed as it ran
    assert not connection.is_in_transaction()


async def test_a_lost_driver_connection_is_a_503_and_dropped_from_the_pool(
    engine: AsyncEngine,
) -> None:
    backend = 0

    async def read_through_a_lost_connection() -> None:
        nonlocal backend
        async with driver_connection(engine) as connection:
            backend = await connection.fetchval("SELECT pg_backend_pid()")
            async with engine.connect() as other:
                await other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": backend})
            for _ in range(100):  # the server's goodbye arrives on its own
                if connection.is_closed():
                    break
                await asyncio.sleep(0.01)
            await connection.fetchval("SELECT 1")

    with pytest.raises(ConnectionError) as lost:
        await read_through_a_lost_connection()
    assert database_unavailable(lost.value)  # answered 503 with Retry-After
    # Every pooled connection works: the dead one was not handed back.
    async with engine.connect() as one, engine.connect() as two:
        for again in (one, two):
            assert await again.scalar(text("SELECT pg_backend_pid()")) != backend


async def test_rows_load_as_transient_model_instances(engine: AsyncEngine) -> None:
    statement = DriverStatement(
        select(UsedAssertion).where(UsedAssertion.client_id == bindparam("client"))
    )
    expires = datetime.now(UTC) + timedelta(minutes=5)
    async with create_sessionmaker(engine)() as session:
        session.add(UsedAssertion(client_id="loaded", jti="j-2", expires_at=expires))
        await session.commit()
    async with driver_connection(engine) as connection:
        rows = await connection.fetch(statement.sql, *statement.args({"client": "loaded"}))
    [used] = loaded(UsedAssertion, rows)
    assert (used.client_id, used.jti, used.expires_at) == ("loaded", "j-2", expires)
    assert inspect(used).transient


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
