"""GET /AuditEvent: R4 AuditEvents, filtered by who may read them, searchable and paged."""

from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fhir.resources.R4B.auditevent import AuditEvent
from fhir.resources.R4B.bundle import Bundle

from app.audit.service import AuditAction, record
from app.auth.principal import EndUser, OdsCode, Principal, Purpose, PurposeOfUse
from app.auth.scopes import AgencyRole
from tests.fixtures.auth import AuthHeaders
from tests.fixtures.fhir import assert_operation_outcome

LA_ODS = "LA001"
OTHER_LA = "LA002"
CHILD = "9000000009"
OTHER_CHILD = "9000000017"

NURSE = Principal(
    client_id="ed-system",
    ods_code=OdsCode("RXX01"),
    organisation_name="Example Hospital ED",
    role=AgencyRole.HEALTH_UNSCHEDULED,
    scopes=frozenset({"system/Flag.rs"}),
    end_user=EndUser("nurse-7", "Alex Morgan", "ED nurse"),
    purpose=Purpose(PurposeOfUse.ETREAT, "Child presented with an injury"),
    request_id="11111111-1111-4111-8111-111111111111",
)


async def _flag_reads(app: FastAPI, reads: list[tuple[str, str]]) -> None:
    async with app.state.sessionmaker() as session:
        for nhs_number, owner in reads:
            await record(
                session,
                NURSE,
                action=AuditAction.READ,
                resource_type="Flag",
                resource_id=nhs_number,
                owner_ods=owner,
            )
        await session.commit()


def _events(body: dict[str, Any]) -> list[dict[str, Any]]:
    Bundle.model_validate(body)
    events = [entry["resource"] for entry in body.get("entry", [])]
    for event in events:
        AuditEvent.model_validate(event)
    return events


async def test_admin_sees_every_event_with_system_detail(
    client: httpx.AsyncClient, auth_headers: AuthHeaders, gateway_app: FastAPI
) -> None:
    await _flag_reads(gateway_app, [(CHILD, LA_ODS), (OTHER_CHILD, OTHER_LA)])
    headers = await auth_headers(AgencyRole.ADMIN)
    response = await client.get(
        "/AuditEvent", params={"patient": f"Patient/{CHILD}"}, headers=headers
    )
    assert response.status_code == 200, response.text
    [event] = _events(response.json())
    assert event["action"] == "R"
    assert event["entity"][0]["what"]["identifier"]["value"] == CHILD
    who = {agent["who"]["type"]: agent["who"] for agent in event["agent"]}
    assert who["Practitioner"]["display"] == "Alex Morgan"
    assert who["Organization"]["identifier"]["value"] == "RXX01"
    assert who["Device"]["identifier"]["value"] == "ed-system"
    assert event["purposeOfEvent"][0]["coding"][0]["code"] == "ETREAT"


async def test_social_care_sees_only_events_about_its_own_records(
    client: httpx.AsyncClient, auth_headers: AuthHeaders, gateway_app: FastAPI
) -> None:
    await _flag_reads(gateway_app, [(CHILD, LA_ODS), (OTHER_CHILD, OTHER_LA), (CHILD, OTHER_LA)])
    headers = await auth_headers(AgencyRole.SOCIAL_CARE, ods_code=LA_ODS)
    body = (await client.get("/AuditEvent", headers=headers)).json()
    events = _events(body)
    assert body["total"] == 1
    assert [e["entity"][0]["what"]["identifier"]["value"] for e in events] == [CHILD]
    # The LA's audience: who looked and why, not the other system's internals.
    assert "outcomeDesc" not in events[0]
    assert "Device" not in {agent["who"].get("type") for agent in events[0]["agent"]}


@pytest.mark.parametrize("role", [AgencyRole.HEALTH_UNSCHEDULED, AgencyRole.POLICE])
async def test_other_roles_are_refused(
    client: httpx.AsyncClient, auth_headers: AuthHeaders, role: AgencyRole
) -> None:
    response = await client.get("/AuditEvent", headers=await auth_headers(role))
    assert_operation_outcome(response, 403, code="forbidden")


async def test_search_parameters_and_paging(
    client: httpx.AsyncClient, auth_headers: AuthHeaders, gateway_app: FastAPI
) -> None:
    await _flag_reads(gateway_app, [(CHILD, LA_ODS)] * 5 + [(OTHER_CHILD, LA_ODS)])
    headers = await auth_headers(AgencyRole.ADMIN)
    params: dict[str, str] | None = {
        "entity-identifier": f"https://fhir.nhs.uk/Id/nhs-number|{CHILD}",
        "_count": "2",
    }
    seen = []
    url: str | None = "/AuditEvent"
    while url:
        body = (await client.get(url, params=params, headers=headers)).json()
        seen += [int(event["id"]) for event in _events(body)]
        # Each search is itself an access to the child's data, audited after this page.
        assert body["total"] >= 5
        links = {link["relation"]: link["url"] for link in body["link"]}
        url, params = links.get("next"), None
    assert seen == [5, 4, 3, 2, 1]  # the keyset cursor neither skips nor repeats

    for query, expected in [
        ({"agent": "Organization/RXX01", "patient": OTHER_CHILD}, 1),
        ({"agent": "Practitioner/nurse-7"}, 6),
        ({"agent": "Device/someone-else"}, 0),
        ({"date": "ge2020-01-01", "agent": "Device/ed-system"}, 6),
        ({"date": "lt2020-01-01"}, 0),
    ]:
        body = (await client.get("/AuditEvent", params=query, headers=headers)).json()
        assert body["total"] == expected, query
        assert "entry" in body or expected == 0


@pytest.mark.parametrize(
    "params",
    [{"patient": "123"}, {"date": "yesterday"}, {"agent": "Robot/1"}, {"_count": "0"}],
)
async def test_invalid_search_parameters(
    client: httpx.AsyncClient, auth_headers: AuthHeaders, params: dict[str, str]
) -> None:
    response = await client.get(
        "/AuditEvent", params=params, headers=await auth_headers(AgencyRole.ADMIN)
    )
    assert_operation_outcome(response, 400)
