"""Trace routes end to end: gateway -> real mock Spine over HTTP, real tokens, real audit."""

from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from app.auth.scopes import AgencyRole
from app.trace.spine_client import SpineClient
from tests.fixtures.auth import AuthHeaders
from tests.fixtures.fhir import assert_operation_outcome
from tests.fixtures.trace import SeededPeople, SeededPerson

MATCH_GRADE = "http://hl7.org/fhir/StructureDefinition/match-grade"
CARE_ROLES = [
    AgencyRole.HEALTH_UNSCHEDULED,
    AgencyRole.HEALTH_SCHEDULED,
    AgencyRole.SOCIAL_CARE,
    AgencyRole.POLICE,
]
IDENTITY_KEYS = {"resourceType", "id", "identifier", "name", "birthDate"}
LOCATION_KEYS = {"address", "telecom", "generalPractitioner"}

pytestmark = pytest.mark.usefixtures("trace_spine")


def match_body(person: SeededPerson | None = None, **patient: Any) -> dict[str, Any]:
    resource: dict[str, Any] = {"resourceType": "Patient"}
    if person is not None:
        resource |= {
            "name": [{"family": person.family, "given": [person.given]}],
            "birthDate": person.birth_date,
            "gender": person.gender,
        }
        if person.postcode:
            resource["address"] = [{"postalCode": person.postcode}]
    resource |= patient
    return {"resourceType": "Parameters", "parameter": [{"name": "resource", "resource": resource}]}


async def match(
    client: httpx.AsyncClient, headers: dict[str, str], body: dict[str, Any]
) -> dict[str, Any]:
    response = await client.post(
        "/Patient/$match",
        json=body,
        headers=headers | {"Content-Type": "application/fhir+json"},
    )
    assert response.status_code == 200, response.text
    assert int(response.headers["X-Trace-Spine-Calls"]) <= 10
    bundle: dict[str, Any] = response.json()
    return bundle


def grades(bundle: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        (entry["resource"]["id"], entry["search"]["extension"][0]["valueCode"])
        for entry in bundle.get("entry", [])
        if entry["search"]["mode"] == "match"
    ]


@pytest.fixture
async def health(auth_headers: AuthHeaders) -> dict[str, str]:
    return await auth_headers(AgencyRole.SOCIAL_CARE)


async def test_exact_demographics_are_certain(
    client: httpx.AsyncClient, health: dict[str, str], seeded_people: SeededPeople
) -> None:
    child = seeded_people.child
    bundle = await match(client, health, match_body(child))
    assert grades(bundle)[0] == (child.nhs_number, "certain")
    first = bundle["entry"][0]
    assert first["search"]["mode"] == "match"
    assert 0.99 <= first["search"]["score"] <= 1


async def test_verified_claimed_number_is_certain_in_one_call(
    client: httpx.AsyncClient, health: dict[str, str], seeded_people: SeededPeople
) -> None:
    child = seeded_people.child
    identifier = [{"system": "https://fhir.nhs.uk/Id/nhs-number", "value": child.nhs_number}]
    response = await client.post(
        "/Patient/$match", json=match_body(child, identifier=identifier), headers=health
    )
    assert grades(response.json()) == [(child.nhs_number, "certain")]
    assert response.headers["X-Trace-Spine-Calls"] == "1"


async def test_disagreeing_claimed_number_is_never_certain(
    client: httpx.AsyncClient, health: dict[str, str], seeded_people: SeededPeople
) -> None:
    child, other = seeded_people.child, seeded_people.twins[0]
    identifier = [{"system": "https://fhir.nhs.uk/Id/nhs-number", "value": other.nhs_number}]
    bundle = await match(client, health, match_body(child, identifier=identifier))
    assert all(grade != "certain" for _, grade in grades(bundle))
    assert child.nhs_number in {number for number, _ in grades(bundle)}


@pytest.mark.parametrize("given", [None, "misspelt"])
async def test_twins_are_never_certain_on_a_missing_or_misspelt_given_name(
    client: httpx.AsyncClient,
    health: dict[str, str],
    seeded_people: SeededPeople,
    given: str | None,
) -> None:
    twin = seeded_people.twins[0]
    name: dict[str, Any] = {"family": twin.family}
    if given:
        name["given"] = [twin.given[:-1] + ("x" if twin.given[-1] != "x" else "y")]
    bundle = await match(client, health, match_body(twin, name=[name]))
    assert all(grade != "certain" for _, grade in grades(bundle))


async def test_twin_with_exact_given_name_is_certain(
    client: httpx.AsyncClient, health: dict[str, str], seeded_people: SeededPeople
) -> None:
    twin = seeded_people.twins[1]
    assert grades(await match(client, health, match_body(twin)))[0] == (twin.nhs_number, "certain")


async def test_unknown_child_gets_no_certain_and_is_queued(
    client: httpx.AsyncClient, health: dict[str, str], engine: AsyncEngine
) -> None:
    body = match_body(
        name=[{"family": "Quixotely", "given": ["Zebedee"]}],
        birthDate="2014-02-02",
        gender="male",
        address=[{"postalCode": "ZZ1 1ZZ"}],
    )
    bundle = await match(client, health, body)
    assert grades(bundle) == []
    async with engine.connect() as connection:
        queued = (
            await connection.execute(text("SELECT count(*) FROM trace_reconciliation"))
        ).scalar()
    assert queued == 1


async def test_only_certain_matches_and_count(
    client: httpx.AsyncClient, health: dict[str, str], seeded_people: SeededPeople
) -> None:
    twin = seeded_people.twins[0]
    body = match_body(twin, name=[{"family": twin.family}])
    body["parameter"].append({"name": "onlyCertainMatches", "valueBoolean": True})
    assert grades(await match(client, health, body)) == []
    body = match_body(twin, name=[{"family": twin.family}])
    body["parameter"].append({"name": "count", "valueInteger": 1})
    assert len(grades(await match(client, health, body))) == 1


@pytest.mark.parametrize(
    ("body", "spine_code"),
    [
        ({"resourceType": "Parameters", "parameter": []}, "MISSING_VALUE"),
        (match_body(name=[{"family": "Smith"}]), "INVALID_SEARCH_DATA"),
        ({"resourceType": "Parameters", "parameter": [{"name": "colour"}]}, "INVALID_VALUE"),
    ],
)
async def test_bad_match_input_is_400(
    client: httpx.AsyncClient, health: dict[str, str], body: Any, spine_code: str
) -> None:
    response = await client.post("/Patient/$match", json=body, headers=health)
    assert_operation_outcome(response, 400, spine_code=spine_code)


@pytest.mark.parametrize("role", [*CARE_ROLES, AgencyRole.EDUCATION])
async def test_disclosure_per_role_on_read_and_match(
    client: httpx.AsyncClient,
    auth_headers: AuthHeaders,
    seeded_people: SeededPeople,
    role: AgencyRole,
) -> None:
    headers = await auth_headers(role)
    child = seeded_people.child
    read = await client.get(f"/Patient/{child.nhs_number}", headers=headers)
    assert read.status_code == 200, read.text
    matched = (await match(client, headers, match_body(child)))["entry"][0]["resource"]
    for patient in (read.json(), matched):
        if role is AgencyRole.EDUCATION:
            assert set(patient) <= IDENTITY_KEYS
        else:
            assert LOCATION_KEYS & set(patient), patient


@pytest.mark.parametrize("role", [*CARE_ROLES, AgencyRole.EDUCATION])
async def test_restricted_patient_location_never_leaves(
    client: httpx.AsyncClient, auth_headers: AuthHeaders, role: AgencyRole
) -> None:
    response = await client.get("/Patient/9000000025", headers=await auth_headers(role))
    assert response.status_code == 200, response.text
    assert not LOCATION_KEYS & set(response.json())


async def test_read_audits_the_number_shown(
    client: httpx.AsyncClient, health: dict[str, str], engine: AsyncEngine
) -> None:
    response = await client.get("/Patient/9000000009", headers=health)
    assert response.status_code == 200
    async with engine.connect() as connection:
        row = (
            await connection.execute(
                text(
                    "SELECT action, end_user_name, purpose_code FROM audit_events "
                    "WHERE resource_type = 'Patient' AND resource_id = '9000000009'"
                )
            )
        ).one()
    assert row.action == "read"
    assert row.end_user_name


async def test_superseded_number_is_signalled(
    client: httpx.AsyncClient, health: dict[str, str], seeded_people: SeededPeople
) -> None:
    old, new = seeded_people.superseded
    response = await client.get(f"/Patient/{old}", headers=health)
    assert response.status_code == 200
    assert response.json()["id"] == new
    assert response.headers["X-Superseded-NHS-Number"] == old


async def retrieve_rows(
    engine: AsyncEngine, response: httpx.Response
) -> list[tuple[str, str, str]]:
    """(resource_id, outcome, detail) of the audit rows the read left, in chain order."""
    async with engine.connect() as connection:
        rows = await connection.execute(
            text(
                "SELECT resource_id, outcome, detail FROM audit_events "
                "WHERE request_id = :request_id AND resource_type = 'Patient' ORDER BY seq"
            ),
            {"request_id": response.headers["X-Request-ID"]},
        )
        return [(r.resource_id, r.outcome, r.detail) for r in rows]


async def test_read_audit_rows_say_what_was_asked_and_what_left(
    client: httpx.AsyncClient,
    health: dict[str, str],
    seeded_people: SeededPeople,
    engine: AsyncEngine,
) -> None:
    # The row naming the child asked for is written while the Spine answers; an answer
    # it does not describe adds a row: the new number of a merged record, or a failure.
    child = seeded_people.child.nhs_number
    found = await client.get(f"/Patient/{child}", headers=health)
    assert found.status_code == 200
    assert await retrieve_rows(engine, found) == [(child, "0", "retrieve requested")]

    old, new = seeded_people.superseded
    merged = await client.get(f"/Patient/{old}", headers=health)
    assert merged.status_code == 200
    assert await retrieve_rows(engine, merged) == [
        (old, "0", "retrieve requested"),
        (new, "0", f"retrieve (superseded number {old})"),
    ]

    unknown = await client.get("/Patient/9111231130", headers=health)
    assert unknown.status_code == 404
    assert await retrieve_rows(engine, unknown) == [
        ("9111231130", "0", "retrieve requested"),
        ("9111231130", "4", "retrieve not-found"),
    ]


@pytest.mark.parametrize(
    ("number", "status", "spine_code"),
    [
        ("9000000000", 400, "INVALID_RESOURCE_ID"),
        ("90000", 400, "INVALID_RESOURCE_ID"),
        ("9111231130", 404, "RESOURCE_NOT_FOUND"),
    ],
)
async def test_read_errors(
    client: httpx.AsyncClient, health: dict[str, str], number: str, status: int, spine_code: str
) -> None:
    response = await client.get(f"/Patient/{number}", headers=health)
    assert_operation_outcome(response, status, spine_code=spine_code)


async def test_search_returns_a_disclosed_searchset(
    client: httpx.AsyncClient, auth_headers: AuthHeaders
) -> None:
    headers = await auth_headers(AgencyRole.EDUCATION)
    query = "family=Smith&gender=female&birthdate=eq2010-10-22"
    response = await client.get(f"/Patient?{query}", headers=headers)
    assert response.status_code == 200, response.text
    bundle = response.json()
    assert bundle["type"] == "searchset"
    assert [e["resource"]["id"] for e in bundle["entry"]] == ["9000000009"]
    assert set(bundle["entry"][0]["resource"]) <= IDENTITY_KEYS


@pytest.mark.parametrize(
    ("query", "spine_code"),
    [
        ("", "UNSUPPORTED_SERVICE"),
        ("family=Smith&birthdate=eq2010-10-22&year=2010", "ADDITIONAL_PROPERTIES"),
        ("family=Smith&birthdate=20101022", "INVALID_VALUE"),
        ("family=Smith", "MISSING_VALUE"),
        ("gender=female&birthdate=eq2010-10-22", "INVALID_SEARCH_DATA"),
        ("family=S*&birthdate=eq2010-10-22", "INVALID_VALUE"),
    ],
)
async def test_search_is_validated_before_it_leaves_us(
    client: httpx.AsyncClient,
    health: dict[str, str],
    trace_spine: SpineClient,
    query: str,
    spine_code: str,
) -> None:
    response = await client.get(f"/Patient?{query}", headers=health)
    assert_operation_outcome(response, 400, spine_code=spine_code)


async def test_routes_need_a_token(client: httpx.AsyncClient) -> None:
    response = await client.get("/Patient/9000000009")
    assert_operation_outcome(response, 401)
