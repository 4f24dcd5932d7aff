"""`cci flags recheck`: plans end at 18 and inactive NHS numbers are reported, each once."""

import asyncio
from datetime import UTC, datetime

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from app.auth.scopes import AgencyRole
from app.cpis.cli import recheck_task
from app.cpis.models import Flag, Notification
from app.cpis.recheck import recheck
from tests.fixtures.auth import AuthHeaders
from tests.fixtures.cpis import CHILD, MOTHER, PDSRecords, flag_resource, spine_patient

SURVIVOR = "9434765919"


async def _notifications(app: FastAPI) -> list[str]:
    async with app.state.sessionmaker() as session:
        rows = await session.scalars(select(Notification.kind).order_by(Notification.seq))
        return list(rows)


async def test_recheck_ends_plans_at_18_and_follows_merges_once(
    client: httpx.AsyncClient,
    auth_headers: AuthHeaders,
    gateway_app: FastAPI,
    pds: PDSRecords,
) -> None:
    la = await auth_headers(AgencyRole.SOCIAL_CARE)
    pds.records[MOTHER] = spine_patient(MOTHER, birth_date="2008-07-01")
    teen = flag_resource(number=MOTHER, birth_date="2008-07-01")
    assert (await client.post("/Flag", json=teen, headers=la)).status_code == 201
    assert (await client.post("/Flag", json=flag_resource(), headers=la)).status_code == 201
    pds.records[CHILD] = ("superseded", spine_patient(SURVIVOR))
    sessionmaker = gateway_app.state.sessionmaker
    after_birthday = datetime(2026, 7, 2, 12, tzinfo=UTC)

    report = await recheck(sessionmaker, pds.client, now=after_birthday)
    assert (report.ended_at_eighteen, report.superseded, report.checked) == (1, 1, 1)
    again = await recheck(sessionmaker, pds.client, now=after_birthday)
    assert (again.ended_at_eighteen, again.superseded) == (0, 0)
    assert await _notifications(gateway_app) == ["plan-ended-at-eighteen", "inactive-nhs-number"]
    async with sessionmaker() as session:
        flags = {f.uploaded_nhs_number: f for f in await session.scalars(select(Flag))}
    assert flags[MOTHER].status == "inactive"
    assert flags[MOTHER].period_end is not None
    assert flags[MOTHER].period_end.isoformat() == "2026-06-30"
    assert flags[CHILD].nhs_number == SURVIVOR
    assert flags[CHILD].subject_state == "superseded"


async def _subject_number(app: FastAPI) -> str:
    async with app.state.sessionmaker() as session:
        return str(await session.scalar(select(Flag.nhs_number)))


async def test_the_scheduled_recheck_follows_a_merge_and_stops_when_asked(
    client: httpx.AsyncClient,
    auth_headers: AuthHeaders,
    gateway_app: FastAPI,
    pds: PDSRecords,
    database_url: str,
) -> None:
    la = await auth_headers(AgencyRole.SOCIAL_CARE)
    assert (await client.post("/Flag", json=flag_resource(), headers=la)).status_code == 201
    pds.records[CHILD] = ("superseded", spine_patient(SURVIVOR))
    settings = gateway_app.state.settings.model_copy(
        update={"cpis_recheck_interval_minutes": 60.0, "spine_rate_limit_tps": 0.0}
    )
    stopping = asyncio.Event()
    task = asyncio.create_task(recheck_task(settings, database_url)(stopping))
    for _ in range(200):
        if await _subject_number(gateway_app) == SURVIVOR:
            break
        await asyncio.sleep(0.05)
    stopping.set()
    await asyncio.wait_for(task, timeout=5)  # does not sit out its hour
    assert await _subject_number(gateway_app) == SURVIVOR
    assert await _notifications(gateway_app) == ["inactive-nhs-number"]


async def test_a_zero_interval_never_rechecks(
    gateway_app: FastAPI, pds: PDSRecords, database_url: str
) -> None:
    settings = gateway_app.state.settings.model_copy(update={"cpis_recheck_interval_minutes": 0})
    await asyncio.wait_for(recheck_task(settings, database_url)(asyncio.Event()), timeout=1)
    assert pds.calls == 0
