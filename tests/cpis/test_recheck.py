"""`cci flags recheck`: plans end at 18 and inactive NHS numbers are reported, each once."""

from datetime import UTC, datetime

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from app.auth.scopes import AgencyRole
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
