"""Outbox delivery: one notification per window reaches the LA's endpoint exactly once when
acknowledged; 500s are retried with backoff; dead letter after N; concurrent workers and a
worker killed mid-delivery neither lose nor re-send an acknowledged notification."""

import asyncio
from dataclasses import replace

import httpx
import orjson
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from app.auth.scopes import AgencyRole
from app.cpis.models import Delivery
from app.cpis.worker import Policy, run_once, run_worker
from app.fhir.resources import AuditEvent
from tests.fixtures.auth import AuthHeaders
from tests.fixtures.cpis import (
    CHILD,
    Receiver,
    enqueue_notifications,
    flag_resource,
    new_ods,
    subscription,
)

pytestmark = pytest.mark.usefixtures("pds")
FAST = Policy(
    max_attempts=5, backoff_base=0.05, backoff_max=0.2, timeout=2.0, lease=3.0, poll=0.05,
    batch_size=10,
)  # fmt: skip


async def _subscribe(client: httpx.AsyncClient, la: dict[str, str], endpoint: str) -> str:
    response = await client.post("/Subscription", json=subscription(endpoint), headers=la)
    assert response.status_code == 201, response.text
    assert response.json()["status"] == "active"
    assert response.json()["channel"]["header"] == ["Authorization: [withheld]"]
    return str(response.json()["id"])


async def _deliveries(app: FastAPI) -> list[Delivery]:
    async with app.state.sessionmaker() as session:
        return list((await session.scalars(select(Delivery).order_by(Delivery.id))).all())


async def _drain(app: FastAPI, policy: Policy = FAST, rounds: int = 200) -> None:
    async with httpx.AsyncClient() as http:
        for _ in range(rounds):
            await run_once(app.state.sessionmaker, http, policy)
            if all(d.status != "pending" for d in await _deliveries(app)):
                return
            await asyncio.sleep(0.02)
    raise AssertionError("deliveries still pending")


async def test_one_notification_naming_the_reader_is_delivered_once(
    client: httpx.AsyncClient,
    auth_headers: AuthHeaders,
    gateway_app: FastAPI,
    webhook: Receiver,
) -> None:
    la = await auth_headers(AgencyRole.SOCIAL_CARE)
    await _subscribe(client, la, webhook.url)
    assert (await client.post("/Flag", json=flag_resource(), headers=la)).status_code == 201
    reader = await auth_headers(AgencyRole.HEALTH_UNSCHEDULED)
    await client.get(f"/Flag?patient={CHILD}", headers=reader)
    await client.get(f"/Flag?patient={CHILD}", headers=reader)
    await _drain(gateway_app)
    await _drain(gateway_app)
    [(key, headers, body)] = webhook.received
    assert headers["authorization"] == "Bearer la-secret"
    assert headers["content-type"] == "application/fhir+json"
    event = orjson.loads(body)
    AuditEvent.model_validate(event)
    assert event["id"] == key
    assert event["agent"][0]["who"]["display"] == "Sam Taylor"
    assert event["agent"][1]["who"]["identifier"]["value"].startswith("T")
    assert CHILD in event["outcomeDesc"]
    feed = (await client.get("/Subscription/$notifications", headers=la)).json()
    assert [e["resource"]["id"] for e in feed["entry"]] == [key]


async def test_webhook_failures_are_retried_until_acknowledged(
    client: httpx.AsyncClient, auth_headers: AuthHeaders, gateway_app: FastAPI, webhook: Receiver
) -> None:
    ods = new_ods()
    la = await auth_headers(AgencyRole.SOCIAL_CARE, ods_code=ods)
    await _subscribe(client, la, webhook.url)
    webhook.fail_first = 3
    await enqueue_notifications(gateway_app, ods, 1)
    await _drain(gateway_app)
    [delivery] = await _deliveries(gateway_app)
    assert (delivery.status, delivery.attempts) == ("delivered", 4)
    assert len(set(webhook.keys)) == 1
    assert len(webhook.received) == 4
    assert len(webhook.acknowledged) == 1


async def test_dead_letter_after_max_attempts_keeps_it_in_the_feed(
    client: httpx.AsyncClient, auth_headers: AuthHeaders, gateway_app: FastAPI, webhook: Receiver
) -> None:
    ods = new_ods()
    la = await auth_headers(AgencyRole.SOCIAL_CARE, ods_code=ods)
    subscription_id = await _subscribe(client, la, webhook.url)
    webhook.fail_first = 1000
    await enqueue_notifications(gateway_app, ods, 1)
    await _drain(gateway_app, replace(FAST, max_attempts=3))
    [delivery] = await _deliveries(gateway_app)
    assert (delivery.status, delivery.attempts) == ("dead", 3)
    read = (await client.get(f"/Subscription/{subscription_id}", headers=la)).json()
    assert "dead-lettered after 3 attempts" in read["error"]
    feed = (await client.get("/Subscription/$notifications", headers=la)).json()
    assert feed["total"] == 1


async def test_two_workers_deliver_each_notification_once(
    client: httpx.AsyncClient, auth_headers: AuthHeaders, gateway_app: FastAPI, webhook: Receiver
) -> None:
    ods = new_ods()
    la = await auth_headers(AgencyRole.SOCIAL_CARE, ods_code=ods)
    await _subscribe(client, la, webhook.url)
    await enqueue_notifications(gateway_app, ods, 40)
    stopping = asyncio.Event()
    policy = replace(FAST, batch_size=3)
    workers = [
        asyncio.create_task(run_worker(gateway_app.state.sessionmaker, policy, stopping))
        for _ in range(2)
    ]
    for _ in range(300):
        if len(webhook.received) >= 40 and all(
            d.status == "delivered" for d in await _deliveries(gateway_app)
        ):
            break
        await asyncio.sleep(0.02)
    stopping.set()
    await asyncio.gather(*workers)
    assert len(webhook.received) == 40
    assert len(set(webhook.keys)) == 40


async def test_a_worker_killed_mid_delivery_loses_nothing(
    client: httpx.AsyncClient, auth_headers: AuthHeaders, gateway_app: FastAPI, webhook: Receiver
) -> None:
    ods = new_ods()
    la = await auth_headers(AgencyRole.SOCIAL_CARE, ods_code=ods)
    await _subscribe(client, la, webhook.url)
    await enqueue_notifications(gateway_app, ods, 1)
    webhook.hang_first, webhook.hang_seconds = 1, 1.0
    policy = replace(FAST, lease=0.3, timeout=5.0)
    killed = asyncio.create_task(
        run_worker(gateway_app.state.sessionmaker, policy, asyncio.Event())
    )
    for _ in range(500):
        if webhook.received:
            break
        await asyncio.sleep(0.01)
    killed.cancel()  # mid-delivery: the request is out, no answer recorded
    await asyncio.gather(killed, return_exceptions=True)
    [delivery] = await _deliveries(gateway_app)
    assert delivery.status == "pending"
    await asyncio.sleep(policy.lease)
    await _drain(gateway_app, policy)
    [delivery] = await _deliveries(gateway_app)
    assert delivery.status == "delivered"
    # Redelivered under the same key; once recorded as delivered, never sent again.
    assert len(set(webhook.keys)) == 1
    sent = len(webhook.received)
    await _drain(gateway_app, policy)
    await asyncio.sleep(0.3)
    assert len(webhook.received) == sent
