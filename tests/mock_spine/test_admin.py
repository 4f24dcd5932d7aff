"""/_admin developer controls: each change is visible through the PDS API at once."""

from typing import Any

import httpx

from mock_spine.main import create_app
from tests.fixtures.fhir import assert_operation_outcome
from tests.fixtures.spine import spine_headers, spine_settings

BASE = "/personal-demographics/FHIR/R4"


async def create(client: httpx.AsyncClient, **overrides: Any) -> str:
    body = {
        "given": ["Testy"],
        "family": "Adminson",
        "gender": "female",
        "birth_date": "2016-02-29",
        "address_lines": ["1 Test Street", "Leeds"],
        "postcode": "LS6 1AA",
        "general_practitioner": "B86001",
        **overrides,
    }
    response = await client.post("/_admin/patients", json=body)
    assert response.status_code == 201, response.text
    number: str = response.json()["nhs_number"]
    return number


async def get(client: httpx.AsyncClient, number: str) -> httpx.Response:
    return await client.get(f"{BASE}/Patient/{number}", headers=spine_headers())


async def find(client: httpx.AsyncClient, **params: str) -> list[str]:
    response = await client.get(f"{BASE}/Patient", params=params, headers=spine_headers())
    assert response.status_code == 200, response.text
    return [entry["resource"]["id"] for entry in response.json().get("entry", [])]


async def test_admin_is_off_unless_enabled(spine_database_url: str) -> None:
    app = create_app(spine_settings(spine_database_url, admin_enabled=False))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://spine.test") as client:
            response = await client.post("/_admin/patients", json={})
    assert_operation_outcome(response, 400, spine_code="UNSUPPORTED_REQUEST")


async def test_create_patient_is_retrievable_and_searchable(
    admin_client: httpx.AsyncClient,
) -> None:
    number = await create(admin_client)
    response = await get(admin_client, number)
    assert response.status_code == 200
    assert response.headers["etag"] == 'W/"1"'
    assert response.json()["address"][0]["postalCode"] == "LS6 1AA"
    assert await find(admin_client, family="Adminson", birthdate="2016-02-29") == [number]


async def test_merge_returns_survivor(admin_client: httpx.AsyncClient) -> None:
    survivor = await create(admin_client, family="Mergeworth")
    duplicate = await create(admin_client, family="Mergeworth", given=["Testie"])
    response = await admin_client.post(
        f"/_admin/patients/{duplicate}/merge", json={"into": survivor}
    )
    assert response.json()["status"] == "superseded"
    retrieved = await get(admin_client, duplicate)
    assert retrieved.status_code == 200
    assert retrieved.json()["id"] == survivor
    # A search that matches only the old record's name finds the survivor instead.
    assert await find(
        admin_client, family="Mergeworth", given="Testie", birthdate="2016-02-29"
    ) == [survivor]


async def test_invalidate(admin_client: httpx.AsyncClient) -> None:
    number = await create(admin_client, family="Voidley")
    await admin_client.post(f"/_admin/patients/{number}/invalidate")
    assert_operation_outcome(
        await get(admin_client, number), 404, code="processing", spine_code="INVALIDATED_RESOURCE"
    )
    assert await find(admin_client, family="Voidley", birthdate="2016-02-29") == []


async def test_restrict_withholds_location_and_hides_from_postcode_search(
    admin_client: httpx.AsyncClient,
) -> None:
    number = await create(admin_client, family="Hiddenfield")
    state = (await admin_client.post(f"/_admin/patients/{number}/restrict", json={})).json()
    assert state["security"] == "R"
    assert state["version_id"] == 2
    body = (await get(admin_client, number)).json()
    assert "address" not in body
    assert "generalPractitioner" not in body
    assert await find(admin_client, family="Hiddenfield", birthdate="2016-02-29") == [number]
    assert (
        await find(
            admin_client,
            family="Hiddenfield",
            birthdate="2016-02-29",
            **{"address-postalcode": "LS61AA"},
        )
        == []
    )
    assert (
        await find(
            admin_client,
            family="Hiddenfield",
            birthdate="2016-02-29",
            **{"general-practitioner": "B86001"},
        )
        == []
    )
    related = await admin_client.get(
        f"{BASE}/Patient/{number}/RelatedPerson", headers=spine_headers()
    )
    assert related.json()["total"] == 0


async def test_very_restricted_hides_name_and_birth_date(admin_client: httpx.AsyncClient) -> None:
    number = await create(admin_client, family="Veryhidden")
    await admin_client.post(f"/_admin/patients/{number}/restrict", json={"security": "V"})
    body = (await get(admin_client, number)).json()
    assert body["meta"]["security"][0]["code"] == "V"
    assert "name" not in body
    assert "birthDate" not in body


async def test_mark_deceased(admin_client: httpx.AsyncClient) -> None:
    number = await create(admin_client, family="Lateley")
    await admin_client.post(
        f"/_admin/patients/{number}/deceased",
        json={"death_date": "2024-01-02", "notification": "1"},
    )
    body = (await get(admin_client, number)).json()
    assert body["deceasedDateTime"] == "2024-01-02T00:00:00+00:00"
    status = body["extension"][0]["extension"][0]["valueCodeableConcept"]["coding"][0]["code"]
    assert status == "1"
    found = await find(
        admin_client, family="Lateley", birthdate="2016-02-29", **{"death-date": "eq2024-01-02"}
    )
    assert found == [number]


async def test_change_name_keeps_history(admin_client: httpx.AsyncClient) -> None:
    number = await create(admin_client, family="Oldname")
    await admin_client.post(
        f"/_admin/patients/{number}/name", json={"given": ["Testy"], "family": "Newname"}
    )
    body = (await get(admin_client, number)).json()
    assert [n["use"] for n in body["name"]] == ["usual", "old"]
    assert body["meta"]["versionId"] == "2"
    assert await find(admin_client, family="Newname", birthdate="2016-02-29") == [number]
    assert await find(admin_client, family="Oldname", birthdate="2016-02-29") == []
    assert await find(admin_client, family="Oldname", birthdate="2016-02-29", _history="true") == [
        number
    ]


async def test_change_address_keeps_history(admin_client: httpx.AsyncClient) -> None:
    number = await create(admin_client, family="Moveson")
    await admin_client.post(
        f"/_admin/patients/{number}/address",
        json={"lines": ["9 New Road", "York"], "postcode": "YO10 5DD"},
    )
    pc = "address-postalcode"
    assert await find(
        admin_client, family="Moveson", birthdate="2016-02-29", **{pc: "yo105dd"}
    ) == [number]
    assert (
        await find(admin_client, family="Moveson", birthdate="2016-02-29", **{pc: "LS6 1AA"}) == []
    )
    old = await admin_client.get(
        f"{BASE}/Patient",
        params={"family": "Moveson", "birthdate": "2016-02-29", pc: "LS6 1AA", "_history": "true"},
        headers=spine_headers(),
    )
    entry = old.json()["entry"][0]
    assert entry["search"]["score"] < 1.0
    assert entry["resource"]["address"][0]["postalCode"] == "YO10 5DD"  # current data returned


async def test_create_with_parents_gives_related_people(admin_client: httpx.AsyncClient) -> None:
    mother = await create(admin_client, family="Parentson", given=["Mum"], birth_date="1985-03-04")
    child = await create(admin_client, family="Parentson", given=["Kid"], parents=[mother])
    body = (
        await admin_client.get(f"{BASE}/Patient/{child}/RelatedPerson", headers=spine_headers())
    ).json()
    assert body["total"] == 1
    resource = body["entry"][0]["resource"]
    assert resource["patient"]["identifier"]["value"] == mother
    assert resource["relationship"][0]["coding"][0]["code"] == "MTH"


async def test_unknown_patient_is_404(admin_client: httpx.AsyncClient) -> None:
    response = await admin_client.post("/_admin/patients/9111231130/invalidate")
    assert_operation_outcome(response, 404, spine_code="RESOURCE_NOT_FOUND")
