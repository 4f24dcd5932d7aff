"""When the gateway's own database cannot serve (down, restarting, out of connections, a
statement timed out), callers get a 503 OperationOutcome to retry, not a 500."""

from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import exc as sa_exc
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from app.auth.clients import generate_client_key
from app.auth.scopes import AgencyRole
from app.db import create_engine, create_sessionmaker, database_unavailable
from tests.fixtures.auth import TestClient
from tests.fixtures.fhir import assert_operation_outcome


def _token_form() -> dict[str, str]:
    """A well-formed assertion from a client the gateway must look up in its database."""
    nobody = TestClient(
        client_id="not-registered", role=AgencyRole.HEALTH_UNSCHEDULED, ods_code="X1",
        organisation_name="Nobody", key=generate_client_key("ES384"), alg="ES384",
    )  # fmt: skip
    return nobody.token_form()


@pytest.fixture
async def unreachable(engine: AsyncEngine) -> AsyncIterator[AsyncEngine]:
    # Port 1 on this host: nothing listens, so connecting is refused at once.
    url = engine.url.set(host="127.0.0.1", port=1, query={})
    dead = create_engine(url.render_as_string(hide_password=False))
    yield dead
    await dead.dispose()


async def _raised(engine: AsyncEngine, *statements: str) -> BaseException:
    try:
        async with engine.connect() as connection:
            for statement in statements:
                await connection.execute(text(statement))
    except Exception as error:  # each test asserts which kind
        return error
    raise AssertionError(f"{statements} did not fail")


async def test_errors_that_mean_retry_later_are_told_apart_from_wrong_statements(
    engine: AsyncEngine, unreachable: AsyncEngine
) -> None:
    assert database_unavailable(await _raised(unreachable, "SELECT 1"))
    timed_out = await _raised(engine, "SET statement_timeout = 1", "SELECT pg_sleep(1)")
    assert database_unavailable(timed_out)
    assert database_unavailable(asyncpg.CannotConnectNowError("the database is starting up"))
    assert database_unavailable(sa_exc.TimeoutError("QueuePool limit reached"))
    assert not database_unavailable(await _raised(engine, "SELECT 1 / 0"))
    assert not database_unavailable(await _raised(engine, "SELECT FROM no_such_table"))
    assert not database_unavailable(ValueError("a bug"))


async def test_a_request_the_database_cannot_serve_is_a_503_to_retry(
    client: httpx.AsyncClient,
    gateway_app: FastAPI,
    unreachable: AsyncEngine,
) -> None:
    # Not monkeypatch: it restores a Starlette State attribute by deleting it.
    working = gateway_app.state.sessionmaker
    gateway_app.state.sessionmaker = create_sessionmaker(unreachable)
    try:
        response = await client.post("/oauth2/token", data=_token_form())
    finally:
        gateway_app.state.sessionmaker = working
    body = assert_operation_outcome(response, 503, code="transient")
    assert response.headers["Retry-After"] == "5"
    assert "database" in body["issue"][0]["diagnostics"]
