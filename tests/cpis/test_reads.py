"""Care-setting reads: current plans only, access events, notification windows, disclosure."""

import asyncio
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select, update

from app.auth.scopes import AgencyRole
from app.cpis.models import AccessEvent, Flag, Notification
from app.cpis.profile import NO_FLAG_IS_NOT_SAFETY, PlanType
from app.cpis.rules import adult_on, is_current
from app.main import create_app
from cci_common.identifiers import nhs_number
from tests.cpis.helpers import SCHEDULED, UNSCHEDULED, access_in, flags_in, searchset
from tests.fixtures.app import gateway_settings
from tests.fixtures.auth import AuthHeaders, end_user_headers, fetch_token, register_client_in
from tests.fixtures.cpis import CHILD, PDSRecords, flag_resource, spine_patient
from tests.fixtures.fhir import assert_operation_outcome

pytestmark = pytest.mark.usefixtures("pds")
SEARCH = f"/Flag?patient={CHILD}"


async def _count(app: FastAPI, model: type[AccessEvent] | type[Notification]) -> int:
    async with app.state.sessionmaker() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def _plan(client: httpx.AsyncClient, la: dict[str, str], **kwargs: Any) -> dict[str, str]:
    response = await client.post("/Flag", json=flag_resource(**kwargs), headers=la)
    assert response.status_code == 201, response.text
    body: dict[str, str] = response.json()
    return body


async def test_no_plan_is_an_empty_searchset_that_says_absence_is_not_safety(
    client: httpx.AsyncClient, auth_headers: AuthHeaders
) -> None:
    reader = await auth_headers(AgencyRole.HEALTH_UNSCHEDULED)
    bundle = searchset(await client.get(SEARCH, headers=reader))
    assert bundle["total"] == 0
    assert flags_in(bundle) == []
    outcome = bundle["entry"][-1]
    assert outcome["search"]["mode"] == "outcome"
    assert outcome["resource"]["issue"][0]["diagnostics"] == NO_FLAG_IS_NOT_SAFETY


async def test_unscheduled_read_shows_contacts_records_access_and_notifies_once(
    client: httpx.AsyncClient, auth_headers: AuthHeaders, gateway_app: FastAPI
) -> None:
    la = await auth_headers(AgencyRole.SOCIAL_CARE)
    await _plan(client, la)
    reader = await auth_headers(AgencyRole.HEALTH_UNSCHEDULED)
    query = f"/Flag?subject:identifier={nhs_number.SYSTEM}|{CHILD}&_revinclude=AuditEvent:entity"
    bundle = searchset(await client.get(query, headers=reader))
    [flag] = flags_in(bundle)
    assert "identifier" not in flag  # the LA's case reference is not for care settings
    phones = [c["telecom"][0]["value"] for c in flag["contained"][0]["contact"]]
    assert phones == ["0300 123 4567", "0300 765 4321"]
    [access] = access_in(bundle)
    assert access["agent"][0]["who"]["display"] == "Sam Taylor"
    assert access["agent"][0]["role"][0]["text"] == "Safeguarding lead"
    await client.get(SEARCH, headers=reader)
    assert await _count(gateway_app, AccessEvent) == 2
    assert await _count(gateway_app, Notification) == 1  # the second read is inside 24 h


async def test_a_second_organisation_within_the_window_notifies_again(
    client: httpx.AsyncClient, auth_headers: AuthHeaders, gateway_app: FastAPI
) -> None:
    la = await auth_headers(AgencyRole.SOCIAL_CARE)
    await _plan(client, la)
    for _ in range(2):
        await client.get(SEARCH, headers=await auth_headers(AgencyRole.HEALTH_UNSCHEDULED))
    assert await _count(gateway_app, Notification) == 2


async def test_the_window_reopens_after_it_elapses(
    client: httpx.AsyncClient, auth_headers: AuthHeaders, gateway_app: FastAPI
) -> None:
    from app.cpis.models import NotificationWindow

    la = await auth_headers(AgencyRole.SOCIAL_CARE)
    await _plan(client, la)
    reader = await auth_headers(AgencyRole.HEALTH_UNSCHEDULED)
    await client.get(SEARCH, headers=reader)
    async with gateway_app.state.sessionmaker() as session:
        earlier = datetime.now(UTC) - timedelta(hours=24, minutes=1)
        await session.execute(update(NotificationWindow).values(last_notified_at=earlier))
        await session.commit()
    await client.get(SEARCH, headers=reader)
    assert await _count(gateway_app, Notification) == 2


async def test_scheduled_reads_are_silent(
    client: httpx.AsyncClient, auth_headers: AuthHeaders, gateway_app: FastAPI
) -> None:
    la = await auth_headers(AgencyRole.SOCIAL_CARE)
    await _plan(client, la)
    gp = await auth_headers(AgencyRole.HEALTH_SCHEDULED)
    bundle = searchset(await client.get(SEARCH + "&_revinclude=AuditEvent:entity", headers=gp))
    assert len(flags_in(bundle)) == 1
    assert access_in(bundle) == []
    assert await _count(gateway_app, AccessEvent) == 0
    assert await _count(gateway_app, Notification) == 0
    # A scheduled setting may declare an unscheduled episode; an A&E cannot go silent.
    await client.get(SEARCH, headers=gp | UNSCHEDULED)
    await client.get(SEARCH, headers=await auth_headers(AgencyRole.HEALTH_UNSCHEDULED) | SCHEDULED)
    assert await _count(gateway_app, AccessEvent) == 2


async def test_an_invalid_unscheduled_header_is_refused(
    client: httpx.AsyncClient, auth_headers: AuthHeaders
) -> None:
    reader = await auth_headers(AgencyRole.HEALTH_UNSCHEDULED)
    response = await client.get(SEARCH, headers=reader | {"IsUnscheduledAccessEvent": "maybe"})
    assert_operation_outcome(response, 400, spine_code="PRECONDITION_FAILED")


@pytest.mark.parametrize(
    "query", ["/Flag?patient=9000000000", "/Flag", "/Flag?patient=1&subject:identifier=x|1"]
)
async def test_bad_searches_are_400(
    client: httpx.AsyncClient, auth_headers: AuthHeaders, query: str
) -> None:
    reader = await auth_headers(AgencyRole.HEALTH_UNSCHEDULED)
    assert_operation_outcome(await client.get(query, headers=reader), 400)


async def test_ended_and_adult_plans_are_not_shown_to_care_settings(
    client: httpx.AsyncClient, auth_headers: AuthHeaders, pds: PDSRecords
) -> None:
    la = await auth_headers(AgencyRole.SOCIAL_CARE)
    await _plan(client, la, end=(date.today() - timedelta(days=1)).isoformat())
    pds.records[CHILD] = spine_patient(CHILD, birth_date="2006-01-01")
    await _plan(client, la, birth_date="2006-01-01")
    reader = await auth_headers(AgencyRole.HEALTH_UNSCHEDULED)
    assert flags_in(searchset(await client.get(SEARCH, headers=reader))) == []
    own = flags_in(searchset(await client.get(SEARCH, headers=la)))
    assert sorted(f["status"] for f in own) == ["inactive", "inactive"]


async def test_another_la_sees_the_plan_but_not_the_access_list(
    client: httpx.AsyncClient, auth_headers: AuthHeaders
) -> None:
    owner = await auth_headers(AgencyRole.SOCIAL_CARE)
    await _plan(client, owner)
    await client.get(SEARCH, headers=await auth_headers(AgencyRole.HEALTH_UNSCHEDULED))
    query = SEARCH + "&_revinclude=AuditEvent:entity"
    other = searchset(await client.get(query, headers=await auth_headers(AgencyRole.SOCIAL_CARE)))
    assert len(flags_in(other)) == 1
    assert access_in(other) == []
    assert "identifier" not in flags_in(other)[0]
    mine = searchset(await client.get(query, headers=owner))
    assert len(access_in(mine)) == 1
    assert "identifier" in flags_in(mine)[0]


async def test_school_is_refused(client: httpx.AsyncClient, auth_headers: AuthHeaders) -> None:
    school = await auth_headers(AgencyRole.EDUCATION)
    assert_operation_outcome(await client.get(SEARCH, headers=school), 403, code="forbidden")


async def test_access_history_keeps_the_25_most_recent(
    client: httpx.AsyncClient, auth_headers: AuthHeaders, gateway_app: FastAPI
) -> None:
    la = await auth_headers(AgencyRole.SOCIAL_CARE)
    await _plan(client, la)
    reader = await auth_headers(AgencyRole.HEALTH_UNSCHEDULED)
    for _ in range(27):
        await client.get(SEARCH, headers=reader)
    bundle = searchset(await client.get(SEARCH + "&_revinclude=AuditEvent:entity", headers=la))
    recorded = [a["recorded"] for a in access_in(bundle)]
    assert len(recorded) == 25
    assert recorded == sorted(recorded, reverse=True)


def test_eighteenth_birthday_rules() -> None:
    assert adult_on(date(2008, 2, 29), PlanType.CHILD_PROTECTION_PLAN) == date(2026, 3, 1)
    assert adult_on(date(1990, 1, 1), PlanType.UNBORN_CHILD_PROTECTION_PLAN) is None
    adult = date(2026, 3, 1)
    assert is_current("active", None, adult, date(2026, 2, 28))
    assert not is_current("active", None, adult, adult)
    assert is_current("active", date(2026, 1, 31), None, date(2026, 1, 31))
    assert not is_current("active", date(2026, 1, 31), None, date(2026, 2, 1))


async def test_reads_by_a_superseded_number_follow_the_surviving_record(
    client: httpx.AsyncClient, auth_headers: AuthHeaders, gateway_app: FastAPI
) -> None:
    la = await auth_headers(AgencyRole.SOCIAL_CARE)
    await _plan(client, la)
    surviving = "9434765919"
    async with gateway_app.state.sessionmaker() as session:
        await session.execute(update(Flag).values(nhs_number=surviving))
        await session.commit()
    reader = await auth_headers(AgencyRole.HEALTH_UNSCHEDULED)
    for number in (surviving, CHILD):
        [flag] = flags_in(searchset(await client.get(f"/Flag?patient={number}", headers=reader)))
        assert flag["subject"]["identifier"]["value"] == surviving


async def test_a_read_takes_one_pooled_connection_at_a_time(database_url: str) -> None:
    # An uncached client status is looked up on a session of its own; a read holding its
    # connection meanwhile would wait for a second one that a busy pool never frees.
    settings = gateway_settings(
        database_url, db_pool_size=1, db_max_overflow=0, client_status_cache_seconds=0
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway.test") as http:
            reader = await register_client_in(app, AgencyRole.HEALTH_UNSCHEDULED)
            headers = {"Authorization": f"Bearer {await fetch_token(http, reader)}"}
            read = http.get(SEARCH, headers=headers | end_user_headers())
            response = await asyncio.wait_for(read, timeout=10)
    assert response.status_code == 200, response.text
