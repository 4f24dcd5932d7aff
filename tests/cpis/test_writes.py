"""LA writes over HTTP: create, verification refusals, idempotency, If-Match, ownership."""

import asyncio

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from app.audit.models import AuditEventRow
from app.audit.service import AuditAction, verify_chain
from app.auth.scopes import AgencyRole
from app.cpis.models import Flag as FlagRow
from app.cpis.profile import PlanType
from app.fhir.resources import Flag
from tests.cpis.helpers import reason_codes, refused
from tests.fixtures.auth import AuthHeaders
from tests.fixtures.cpis import CHILD, MOTHER, PDSRecords, flag_resource, spine_patient
from tests.fixtures.fhir import assert_operation_outcome

pytestmark = pytest.mark.usefixtures("pds")


async def test_create_returns_the_flag_with_version_and_location(
    client: httpx.AsyncClient, auth_headers: AuthHeaders
) -> None:
    la = await auth_headers(AgencyRole.SOCIAL_CARE)
    response = await client.post("/Flag", json=flag_resource(), headers=la)
    assert response.status_code == 201, response.text
    body = response.json()
    Flag.model_validate(body)
    assert response.headers["etag"] == 'W/"1"'
    assert response.headers["location"].endswith(f"/Flag/{body['id']}/_history/1")
    assert body["meta"]["versionId"] == "1"
    assert body["subject"]["identifier"]["value"] == CHILD
    contacts = body["contained"][0]["contact"]
    assert {c["purpose"]["coding"][0]["code"] for c in contacts} == {"office-hours", "out-of-hours"}
    assert body["identifier"][0]["value"].startswith("CASE-")
    assert body["period"] == {"start": "2024-01-15", "end": "2033-05-31"}  # day before 18th


async def test_resubmitting_the_same_case_is_idempotent(
    client: httpx.AsyncClient, auth_headers: AuthHeaders
) -> None:
    la = await auth_headers(AgencyRole.SOCIAL_CARE)
    resource = flag_resource(case_reference="CASE-IDEM")
    first = await client.post("/Flag", json=resource, headers=la)
    again = await client.post("/Flag", json=resource, headers=la)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["meta"]["versionId"] == "1"
    changed = flag_resource(case_reference="CASE-IDEM", end="2025-01-01")
    refused(await client.post("/Flag", json=changed, headers=la), 409, "case-reference-exists")


@pytest.mark.parametrize(
    ("record", "reason", "cpr"),
    [
        ("not-found", "unknown-nhs-number", "CPR01"),
        ("invalidated", "invalidated-nhs-number", "CPR01"),
        (("superseded", spine_patient("9434765919")), "superseded-nhs-number", "CPR05"),
        (spine_patient(CHILD, restricted=True), "restricted-record", "CPR02"),
        (spine_patient(CHILD, deceased=True), "deceased-subject", None),
    ],
)
async def test_spine_states_are_refused_with_their_own_codes(
    client: httpx.AsyncClient,
    auth_headers: AuthHeaders,
    pds: PDSRecords,
    record: object,
    reason: str,
    cpr: str | None,
) -> None:
    pds.records[CHILD] = record
    la = await auth_headers(AgencyRole.SOCIAL_CARE)
    body = refused(await client.post("/Flag", json=flag_resource(), headers=la), 422, reason)
    assert reason_codes(body)[1] == cpr
    if reason == "superseded-nhs-number":
        assert "new NHS number is required" in body["issue"][0]["diagnostics"]


async def test_invalid_nhs_number_is_a_400(
    client: httpx.AsyncClient, auth_headers: AuthHeaders
) -> None:
    la = await auth_headers(AgencyRole.SOCIAL_CARE)
    body = refused(
        await client.post("/Flag", json=flag_resource(number="9000000000"), headers=la),
        400,
        "invalid-nhs-number",
    )
    assert reason_codes(body)[1] == "CPR04"


async def test_demographic_mismatch_names_the_fields_not_the_spine_values(
    client: httpx.AsyncClient, auth_headers: AuthHeaders
) -> None:
    la = await auth_headers(AgencyRole.SOCIAL_CARE)
    resource = flag_resource(given="Emilia", birth_date="2015-01-06")
    body = refused(
        await client.post("/Flag", json=resource, headers=la), 422, "demographics-mismatch"
    )
    assert body["issue"][0]["expression"] == [
        "Flag.contained.Patient.name.given",
        "Flag.contained.Patient.birthDate",
    ]
    assert "Amelia" not in str(body)
    assert "2015-06-01" not in str(body)


async def test_names_match_ignoring_case_spaces_and_hyphens(
    client: httpx.AsyncClient, auth_headers: AuthHeaders
) -> None:
    la = await auth_headers(AgencyRole.SOCIAL_CARE)
    resource = flag_resource(given="AMELIA", family="o'brien smith")
    assert (await client.post("/Flag", json=resource, headers=la)).status_code == 201
    apostrophe = flag_resource(family="OBrien-Smith")
    refused(await client.post("/Flag", json=apostrophe, headers=la), 422, "demographics-mismatch")


async def test_end_before_start_and_unborn_plan_on_male_are_refused(
    client: httpx.AsyncClient, auth_headers: AuthHeaders, pds: PDSRecords
) -> None:
    la = await auth_headers(AgencyRole.SOCIAL_CARE)
    backwards = flag_resource(start="2024-05-01", end="2024-04-30")
    refused(await client.post("/Flag", json=backwards, headers=la), 422, "end-before-start")
    pds.records[MOTHER] = spine_patient(MOTHER, given="Jo", gender="male")
    unborn = flag_resource(number=MOTHER, given="Jo", plan=PlanType.UNBORN_CHILD_PROTECTION_PLAN)
    refused(await client.post("/Flag", json=unborn, headers=la), 422, "unborn-plan-male-subject")


async def test_missing_contacts_and_bad_code_are_reported_together(
    client: httpx.AsyncClient, auth_headers: AuthHeaders
) -> None:
    la = await auth_headers(AgencyRole.SOCIAL_CARE)
    resource = flag_resource()
    resource["code"] = {"coding": [{"system": "http://snomed.info/sct", "code": "123"}]}
    resource["period"] = {}
    body = refused(await client.post("/Flag", json=resource, headers=la), 400, "invalid-flag")
    where = {e for issue in body["issue"] for e in issue.get("expression", [])}
    assert {"Flag.code", "Flag.period.start"} <= where


async def test_update_needs_if_match_and_refuses_stale_versions(
    client: httpx.AsyncClient, auth_headers: AuthHeaders
) -> None:
    la = await auth_headers(AgencyRole.SOCIAL_CARE)
    resource = flag_resource(case_reference="CASE-UPD")
    created = (await client.post("/Flag", json=resource, headers=la)).json()
    url = f"/Flag/{created['id']}"
    ended = flag_resource(case_reference="CASE-UPD", end="2024-12-31", status="inactive")
    assert_operation_outcome(
        await client.put(url, json=ended, headers=la), 412, spine_code="PRECONDITION_FAILED"
    )
    updated = await client.put(url, json=ended, headers=la | {"If-Match": 'W/"1"'})
    assert updated.status_code == 200, updated.text
    assert updated.json()["status"] == "inactive"
    assert updated.headers["etag"] == 'W/"2"'
    stale = flag_resource(case_reference="CASE-UPD", status="entered-in-error")
    assert_operation_outcome(
        await client.put(url, json=stale, headers=la | {"If-Match": 'W/"1"'}),
        409,
        spine_code="RESOURCE_VERSION_MISMATCH",
    )
    withdrawn = await client.put(url, json=stale, headers=la | {"If-Match": 'W/"2"'})
    assert withdrawn.json()["status"] == "entered-in-error"
    reopened = flag_resource(case_reference="CASE-UPD")
    refused(
        await client.put(url, json=reopened, headers=la | {"If-Match": 'W/"3"'}),
        422,
        "entered-in-error-is-final",
    )


async def test_ending_a_plan_needs_no_spine_verification(
    client: httpx.AsyncClient, auth_headers: AuthHeaders, pds: PDSRecords
) -> None:
    la = await auth_headers(AgencyRole.SOCIAL_CARE)
    created = (
        await client.post("/Flag", json=flag_resource(case_reference="C-END"), headers=la)
    ).json()
    pds.records[CHILD] = "invalidated"
    calls = pds.calls
    ended = flag_resource(case_reference="C-END", status="inactive", end="2025-02-01", given=None)
    response = await client.put(
        f"/Flag/{created['id']}", json=ended, headers=la | {"If-Match": 'W/"1"'}
    )
    assert response.status_code == 200, response.text
    assert pds.calls == calls


async def test_an_la_cannot_change_or_read_another_las_flag(
    client: httpx.AsyncClient, auth_headers: AuthHeaders
) -> None:
    owner = await auth_headers(AgencyRole.SOCIAL_CARE)
    other = await auth_headers(AgencyRole.SOCIAL_CARE)
    created = (
        await client.post("/Flag", json=flag_resource(case_reference="C-OWN"), headers=owner)
    ).json()
    url = f"/Flag/{created['id']}"
    change = flag_resource(case_reference="C-OWN", status="entered-in-error")
    refused(
        await client.put(url, json=change, headers=other | {"If-Match": 'W/"1"'}), 403, "not-owner"
    )
    assert (await client.get(url, headers=other)).status_code == 404
    assert (await client.get(url, headers=owner)).status_code == 200


async def test_writing_as_another_la_is_refused(
    client: httpx.AsyncClient, auth_headers: AuthHeaders
) -> None:
    la = await auth_headers(AgencyRole.SOCIAL_CARE)
    resource = flag_resource(la_ods="ZZZ99")
    refused(await client.post("/Flag", json=resource, headers=la), 403, "not-owner")


@pytest.mark.parametrize(
    "role", [AgencyRole.HEALTH_UNSCHEDULED, AgencyRole.EDUCATION, AgencyRole.POLICE]
)
async def test_only_social_care_writes(
    client: httpx.AsyncClient, auth_headers: AuthHeaders, role: AgencyRole
) -> None:
    headers = await auth_headers(role)
    response = await client.post("/Flag", json=flag_resource(), headers=headers)
    assert_operation_outcome(response, 403, code="forbidden")


async def test_conditional_update_by_case_reference_creates_then_updates(
    client: httpx.AsyncClient, auth_headers: AuthHeaders
) -> None:
    la = await auth_headers(AgencyRole.SOCIAL_CARE)
    from app.cpis.profile import CASE_REFERENCE_SYSTEM

    url = f"/Flag?identifier={CASE_REFERENCE_SYSTEM}|C-UPSERT"
    first = await client.put(url, json=flag_resource(case_reference="C-UPSERT"), headers=la)
    assert first.status_code == 201, first.text
    ended = flag_resource(case_reference="C-UPSERT", end="2025-03-01")
    second = await client.put(url, json=ended, headers=la)
    assert second.status_code == 200
    assert second.json()["meta"]["versionId"] == "2"


async def test_concurrent_creates_of_one_case_write_one_plan_and_one_audit_row(
    client: httpx.AsyncClient, auth_headers: AuthHeaders, gateway_app: FastAPI
) -> None:
    la = await auth_headers(AgencyRole.SOCIAL_CARE)
    resource = flag_resource(case_reference="CASE-RACE")
    responses = await asyncio.gather(
        *(client.post("/Flag", json=resource, headers=la) for _ in range(8))
    )
    assert sorted(r.status_code for r in responses) == [200] * 7 + [201], [
        r.text for r in responses if r.status_code >= 300
    ]
    assert len({r.json()["id"] for r in responses}) == 1
    async with gateway_app.state.sessionmaker() as session:
        plans = await session.scalar(select(func.count()).select_from(FlagRow))
        creates = await session.scalar(
            select(func.count()).where(AuditEventRow.action == AuditAction.CREATE.value)
        )
        checked, broken = await verify_chain(session)
    assert (plans, creates, broken) == (1, 1, None)
    assert checked >= 2  # the token issue and the create, at least
