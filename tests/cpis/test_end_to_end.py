"""End to end over real HTTP with real processes: the gateway and the mock Spine served
by uvicorn, `cci worker` as a subprocess, an LA's webhook receiver; and the worker
process killed with SIGKILL mid-delivery."""

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from app.auth.scopes import AgencyRole
from app.cpis.models import Delivery, Subscription
from app.cpis.subscriptions import parse_subscription
from app.main import create_app
from tests.cpis.helpers import SCHEDULED, access_in, flags_in, new_child
from tests.fixtures.app import gateway_settings
from tests.fixtures.auth import RegisterClient, TestClient, end_user_headers
from tests.fixtures.cpis import (
    Receiver,
    enqueue_notifications,
    flag_resource,
    new_ods,
    subscription,
)
from tests.fixtures.live_server import live_server

pytestmark = pytest.mark.slow
PROJECT_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def live_gateway(database_url: str, spine_base_url: str) -> Iterator[str]:
    settings = gateway_settings(
        database_url, spine_base_url=spine_base_url, spine_rate_limit_tps=0.0
    )
    with live_server(create_app(settings)) as base:
        yield base


def start_worker(database_url: str, **settings: str) -> subprocess.Popen[bytes]:
    env = os.environ | {
        "CCI_DATABASE_URL": database_url,
        "CCI_CPIS_WORKER_POLL_SECONDS": "0.05",
        "CCI_LOG_LEVEL": "WARNING",
        **settings,
    }
    env["PYTHONPATH"] = str(PROJECT_ROOT)
    command = [sys.executable, "-m", "cci.main", "worker"]
    return subprocess.Popen(command, env=env, cwd=PROJECT_ROOT)  # noqa: S603


async def headers_for(
    http: httpx.AsyncClient, registered: TestClient, **user: Any
) -> dict[str, str]:
    response = await http.post("/oauth2/token", data=registered.token_form())
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"} | end_user_headers(**user)


async def wait_for(condition: Any, within: float = 15.0) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if await condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("condition not met in time")


async def test_la_reader_webhook_and_refusals_end_to_end(
    live_gateway: str,
    spine_base_url: str,
    database_url: str,
    register_client: RegisterClient,
    webhook: Receiver,
) -> None:
    la_client = await register_client(AgencyRole.SOCIAL_CARE, organisation_name="Exampleshire CC")
    other_la = await register_client(AgencyRole.SOCIAL_CARE)
    ae = await register_client(AgencyRole.HEALTH_UNSCHEDULED, organisation_name="St Elsewhere ED")
    gp = await register_client(AgencyRole.HEALTH_SCHEDULED)
    school = await register_client(AgencyRole.EDUCATION)
    worker = start_worker(database_url)
    try:
        async with httpx.AsyncClient(base_url=live_gateway, timeout=20) as http:
            child = await new_child(http, spine_base_url)
            number = child["nhs_number"]
            la = await headers_for(http, la_client)
            assert (
                await http.post("/Subscription", json=subscription(webhook.url), headers=la)
            ).status_code == 201
            plan = flag_resource(
                number=number, given="ava rose", family="NOWAK", birth_date="2016-03-09",
                la_ods=la_client.ods_code,
            )  # fmt: skip
            created = await http.post("/Flag", json=plan, headers=la)
            assert created.status_code == 201, created.text
            search = f"/Flag?patient={number}"

            reader = await headers_for(http, ae)
            found = await http.get(search, headers=reader)
            [flag] = flags_in(found.json())
            assert flag["contained"][0]["contact"][1]["telecom"][0]["value"] == "0300 765 4321"
            await wait_for(lambda: _true(len(webhook.acknowledged) == 1))
            [(_, _, body)] = webhook.received
            assert b"Sam Taylor" in body
            assert b"St Elsewhere ED" in body

            await http.get(search, headers=reader)  # second read within 24 h
            await http.get(search, headers=await headers_for(http, gp) | SCHEDULED)
            await asyncio.sleep(0.5)
            assert len(webhook.received) == 1

            history = f"{search}&_revinclude=AuditEvent:entity"
            listed = access_in((await http.get(history, headers=la)).json())
            assert [a["agent"][1]["who"]["display"] for a in listed] == ["St Elsewhere ED"] * 2

            other = await headers_for(http, other_la)
            assert access_in((await http.get(history, headers=other)).json()) == []
            ended = flag_resource(
                number=number, case_reference=plan["identifier"][0]["value"], status="inactive"
            )
            change = await http.put(
                f"/Flag/{flag['id']}", json=ended, headers=other | {"If-Match": 'W/"1"'}
            )
            assert change.status_code == 403
            refused = await http.get(search, headers=await headers_for(http, school))
            assert refused.status_code == 403
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=10)
    assert worker.returncode == 0


async def _true(value: bool) -> bool:
    return value


async def test_killing_the_worker_process_mid_delivery_loses_and_repeats_nothing(
    gateway_app: FastAPI, database_url: str, webhook: Receiver
) -> None:
    ods = new_ods()
    async with gateway_app.state.sessionmaker() as session:
        values = parse_subscription(subscription(webhook.url), gateway_app.state.settings)
        session.add(
            Subscription(
                id=uuid.uuid4(), version_id=1, owner_ods=ods, client_id="test",
                last_updated=datetime.now(UTC), **values,
            )
        )  # fmt: skip
        await session.commit()
    await enqueue_notifications(gateway_app, ods, 3)
    webhook.hang_first, webhook.hang_seconds = 1, 2.0
    timing = {"CCI_CPIS_DELIVERY_TIMEOUT_SECONDS": "1.5", "CCI_CPIS_DELIVERY_LEASE_SECONDS": "2"}

    async def deliveries() -> list[Delivery]:
        async with gateway_app.state.sessionmaker() as session:
            return list((await session.scalars(select(Delivery))).all())

    async def delivered_keys() -> set[str]:
        async with gateway_app.state.sessionmaker() as session:
            rows = await session.scalars(
                select(Delivery.notification_id).where(Delivery.status == "delivered")
            )
            return {str(key) for key in rows}

    first = start_worker(database_url, **timing)
    try:
        # Kill once two deliveries are acknowledged and the third is still in flight.
        await wait_for(lambda: _at_least(delivered_keys(), 2))
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    finally:
        if first.poll() is None:
            first.kill()
    acknowledged_before_kill = await delivered_keys()
    assert len(acknowledged_before_kill) == 2
    second = start_worker(database_url, **timing)
    try:

        async def all_delivered() -> bool:
            return all(d.status == "delivered" for d in await deliveries())

        await wait_for(all_delivered, within=30)
        settled = len(webhook.received)
        await asyncio.sleep(1.0)
        assert len(webhook.received) == settled  # nothing acknowledged is sent again
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=10)
    keys = webhook.keys
    assert len(set(keys)) == 3  # none lost
    for key in acknowledged_before_kill:
        assert keys.count(key) == 1  # acknowledged before the kill: never repeated
    [interrupted] = set(keys) - acknowledged_before_kill
    assert keys.count(interrupted) == 2  # re-sent under the same Idempotency-Key


async def _at_least(keys: Any, count: int) -> bool:
    return len(await keys) >= count
