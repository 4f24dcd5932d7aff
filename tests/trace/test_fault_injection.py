"""The gateway against a misbehaving mock Spine (its fault injection), over real HTTP:
slow, failing 20% of requests, or rate-limiting at 5 TPS. Every request must end
within its timeout with a 200 or an OperationOutcome — never a 500, never a hang."""

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from app.auth.scopes import AgencyRole
from app.trace.spine_client import SpineClient
from mock_spine.main import create_app as create_spine
from mock_spine.settings import PDS_BASE_PATH
from tests.fixtures.auth import AuthHeaders
from tests.fixtures.fhir import assert_operation_outcome
from tests.fixtures.live_server import live_server
from tests.fixtures.spine import spine_settings
from tests.fixtures.trace import SeededPeople, trace_settings
from tests.trace.test_router import match_body, retrieve_rows


@pytest.fixture(scope="module")
def faulty_spine(spine_database_url: str, request: pytest.FixtureRequest) -> Iterator[str]:
    faults: dict[str, Any] = request.param
    with live_server(create_spine(spine_settings(spine_database_url, **faults))) as root:
        yield root + PDS_BASE_PATH


@asynccontextmanager
async def gateway_spine(app: FastAPI, base_url: str, **overrides: Any) -> AsyncIterator[None]:
    spine = SpineClient.from_settings(trace_settings(app.state.settings, base_url, **overrides))
    previous, app.state.spine_client = app.state.spine_client, spine
    try:
        yield
    finally:
        app.state.spine_client = previous
        await spine.aclose()


def ok_or_outcome(response: httpx.Response) -> None:
    if response.status_code != 200:
        assert_operation_outcome(response, 503, spine_code="SERVICE_UNAVAILABLE")
        assert "Retry-After" in response.headers


@pytest.mark.parametrize("faulty_spine", [{"fault_latency_ms": 1500}], indirect=True)
async def test_slow_spine_gives_503_within_the_deadline(
    gateway_app: FastAPI, client: httpx.AsyncClient, auth_headers: AuthHeaders,
    faulty_spine: str, seeded_people: SeededPeople, engine: AsyncEngine,
) -> None:  # fmt: skip
    headers = await auth_headers(AgencyRole.HEALTH_UNSCHEDULED)
    settings = {"spine_read_timeout_seconds": 0.4, "spine_deadline_seconds": 1.0,
                "trace_deadline_seconds": 1.5}  # fmt: skip
    async with gateway_spine(gateway_app, faulty_spine, **settings):
        started = time.monotonic()
        read = await client.get(f"/Patient/{seeded_people.child.nhs_number}", headers=headers)
        assert time.monotonic() - started < 2.0
        assert_operation_outcome(read, 503, spine_code="SERVICE_UNAVAILABLE")
        child = seeded_people.child.nhs_number
        assert await retrieve_rows(engine, read) == [
            (child, "0", "retrieve requested"),
            (child, "8", "retrieve failed: 503"),  # serious: the read failed
        ]
        started = time.monotonic()
        body = match_body(seeded_people.child)
        matched = await client.post("/Patient/$match", json=body, headers=headers)
        assert time.monotonic() - started < 2.5
        ok_or_outcome(matched)


@pytest.mark.parametrize("faulty_spine", [{"fault_error_rate": 0.2}], indirect=True)
async def test_twenty_percent_failures_are_retried_or_503(
    gateway_app: FastAPI, client: httpx.AsyncClient, auth_headers: AuthHeaders,
    faulty_spine: str, seeded_people: SeededPeople,
) -> None:  # fmt: skip
    headers = await auth_headers(AgencyRole.SOCIAL_CARE)
    async with gateway_spine(gateway_app, faulty_spine, spine_backoff_base_seconds=0.01):
        statuses = []
        for _ in range(15):
            started = time.monotonic()
            read = await client.get(f"/Patient/{seeded_people.child.nhs_number}", headers=headers)
            body = match_body(seeded_people.child)
            matched = await client.post("/Patient/$match", json=body, headers=headers)
            assert time.monotonic() - started < 10
            for response in (read, matched):
                ok_or_outcome(response)
                statuses.append(response.status_code)
    # Retries hide most injected failures from callers.
    assert statuses.count(200) >= len(statuses) * 0.8


@pytest.mark.parametrize("faulty_spine", [{"rate_limit_tps": 5}], indirect=True)
async def test_five_tps_spine_limit_is_respected(
    gateway_app: FastAPI, client: httpx.AsyncClient, auth_headers: AuthHeaders,
    faulty_spine: str, seeded_people: SeededPeople,
) -> None:  # fmt: skip
    headers = await auth_headers(AgencyRole.SOCIAL_CARE)
    people = [seeded_people.child, *seeded_people.twins]
    async with gateway_spine(
        gateway_app, faulty_spine, spine_rate_limit_tps=4.5, trace_deadline_seconds=8.0
    ):
        started = time.monotonic()
        responses = await asyncio.gather(
            *(
                client.post("/Patient/$match", json=match_body(people[i % 3]), headers=headers)
                for i in range(6)
            )
        )
        assert time.monotonic() - started < 12
    for response in responses:
        ok_or_outcome(response)
    assert sum(r.status_code == 200 for r in responses) >= 5
