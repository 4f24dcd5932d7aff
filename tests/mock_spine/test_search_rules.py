"""Search matching and scoring rules: wildcards, history, fuzzy matching, exact-match,
result limits, merged and invalidated records, the search result shape."""

from typing import Any

import httpx

from mock_spine.search.scoring import FUZZY_THRESHOLD
from tests.fixtures.fhir import assert_operation_outcome
from tests.fixtures.spine import spine_headers
from tests.mock_spine.test_admin import BASE, create

DOB = "2013-04-07"  # nobody in the seeded population is created through /_admin with it


async def search(client: httpx.AsyncClient, **params: str) -> dict[str, Any]:
    response = await client.get(f"{BASE}/Patient", params=params, headers=spine_headers())
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def ids(body: dict[str, Any]) -> list[str]:
    return [entry["resource"]["id"] for entry in body.get("entry", [])]


def scores(body: dict[str, Any]) -> dict[str, float]:
    return {e["resource"]["id"]: e["search"]["score"] for e in body.get("entry", [])}


async def make(client: httpx.AsyncClient, given: list[str], family: str, **kw: Any) -> str:
    return await create(client, given=given, family=family, birth_date=kw.pop("dob", DOB), **kw)


async def test_given_wildcard_matches_only_the_first_given_name(
    admin_client: httpx.AsyncClient,
) -> None:
    alan = await make(admin_client, ["Alan", "Michael"], "Wildgiven")
    assert ids(await search(admin_client, family="Wildgiven", given="Ala*", birthdate=DOB)) == [
        alan
    ]
    assert ids(await search(admin_client, family="Wildgiven", given="Mic*", birthdate=DOB)) == []
    second = await search(
        admin_client, family="Wildgiven", given="Alan", birthdate=DOB
    )  # middle names need not be given
    assert scores(second) == {alan: 1.0}


async def test_family_wildcard_inside_and_scores_below_exact(
    admin_client: httpx.AsyncClient,
) -> None:
    number = await make(admin_client, ["Ann"], "Wildfamily-Jones")
    body = await search(admin_client, family="Wi*f*y-J*", birthdate=DOB)
    assert number in ids(body)
    assert scores(body)[number] < 1.0
    exact = await search(admin_client, family="wildfamily-jones", birthdate=f"eq{DOB}")
    assert scores(exact) == {number: 1.0}


async def test_postcode_is_case_and_space_insensitive_with_wildcards(
    admin_client: httpx.AsyncClient,
) -> None:
    number = await make(admin_client, ["Pat"], "Postcodeson", postcode="LS16 5AE")
    for value in ("LS16 5AE", "ls165ae", "LS16*", "ls1*"):
        body = await search(
            admin_client, family="Postcodeson", birthdate=DOB, **{"address-postalcode": value}
        )
        assert ids(body) == [number], value
    none = await search(
        admin_client, family="Postcodeson", birthdate=DOB, **{"address-postalcode": "LS17*"}
    )
    assert ids(none) == []


async def test_names_with_diacritics_and_apostrophes(admin_client: httpx.AsyncClient) -> None:
    number = await make(admin_client, ["Zoë"], "Kociński-O'Brien")
    body = await search(admin_client, family="KOCINSKI-O'BRIEN", given="zoe", birthdate=DOB)
    assert scores(body) == {number: 1.0}


async def test_birthdate_range_is_inclusive(admin_client: httpx.AsyncClient) -> None:
    number = await make(admin_client, ["Rae"], "Rangeling")
    response = await admin_client.get(
        f"{BASE}/Patient",
        params=(("family", "Rangeling"), ("birthdate", f"ge{DOB}"), ("birthdate", f"le{DOB}")),
        headers=spine_headers(),
    )
    assert ids(response.json()) == [number]
    after = await search(admin_client, family="Rangeling", birthdate="ge2013-04-08")
    assert ids(after) == []


async def test_fuzzy_phonetic_transposed_swapped_and_historic(
    admin_client: httpx.AsyncClient,
) -> None:
    number = await make(admin_client, ["Thomas"], "Adamczyk", dob="2012-03-09")
    await admin_client.post(
        f"/_admin/patients/{number}/name", json={"given": ["Thomas"], "family": "Fuzzington"}
    )
    cases = {
        "phonetic": {"given": "Tomas", "family": "Fuzington", "birthdate": "2012-03-09"},
        "transposed": {"given": "Fuzzington", "family": "Thomas", "birthdate": "2012-03-09"},
        "day/month swapped": {"given": "Thomas", "family": "Fuzzington", "birthdate": "2012-09-03"},
        "historic name": {"given": "Thomas", "family": "Adamczyk", "birthdate": "2012-03-09"},
        "typo": {"given": "Thomas", "family": "Fuzzingtno", "birthdate": "2012-03-09"},
    }
    for label, params in cases.items():
        body = await search(admin_client, **params, **{"_fuzzy-match": "true"})
        found = scores(body)
        assert number in found, label
        assert FUZZY_THRESHOLD <= found[number] < 1.0, label
        plain = await search(admin_client, **params)
        assert number not in ids(plain), label
    exact = await search(
        admin_client,
        given="Thomas",
        family="Fuzzington",
        birthdate="2012-03-09",
        **{"_fuzzy-match": "true"},
    )
    assert scores(exact)[number] == 1.0


async def test_fuzzy_results_are_ordered_by_score(admin_client: httpx.AsyncClient) -> None:
    exact = await make(admin_client, ["Orla"], "Ordering", dob="2011-05-06")
    close = await make(admin_client, ["Orla"], "Orderling", dob="2011-05-06")
    body = await search(
        admin_client,
        given="Orla",
        family="Ordering",
        birthdate="2011-05-06",
        **{"_fuzzy-match": "true"},
    )
    assert ids(body)[:2] == [exact, close]
    values = [entry["search"]["score"] for entry in body["entry"]]
    assert values == sorted(values, reverse=True)
    only_exact = await search(
        admin_client,
        given="Orla",
        family="Ordering",
        birthdate="2011-05-06",
        **{"_fuzzy-match": "true", "_exact-match": "true"},
    )
    assert ids(only_exact) == [exact]


async def test_too_many_matches_is_200_without_entries(spine_client: httpx.AsyncClient) -> None:
    response = await spine_client.get(
        "/Patient",
        params=(("family", "Sm*"), ("birthdate", "ge1900-01-01"), ("_max-results", "2")),
        headers=spine_headers(),
    )
    body = assert_operation_outcome(response, 200, spine_code="TOO_MANY_MATCHES")
    assert "entry" not in body


async def test_population_merged_record_resolves_to_survivor(
    spine_client: httpx.AsyncClient, spine_db: Any
) -> None:
    row = await spine_db.fetchrow(
        "SELECT p.nhs_number, p.superseded_by FROM patient p JOIN patient s "
        "ON s.nhs_number = p.superseded_by WHERE p.status = 'superseded' AND s.security = 'U' "
        "LIMIT 1"
    )
    response = await spine_client.get(f"/Patient/{row['nhs_number']}", headers=spine_headers())
    assert response.status_code == 200
    assert response.json()["id"] == row["superseded_by"]


async def test_population_adopted_birth_record_is_invalidated(
    spine_client: httpx.AsyncClient, spine_db: Any
) -> None:
    row = await spine_db.fetchrow(
        "SELECT p.nhs_number, n.family, p.birth_date FROM patient p "
        "JOIN search_name n ON n.nhs_number = p.nhs_number "
        "WHERE p.status = 'invalidated' AND p.nhs_number <> '9990003343' LIMIT 1"
    )
    response = await spine_client.get(f"/Patient/{row['nhs_number']}", headers=spine_headers())
    assert_operation_outcome(response, 404, code="processing", spine_code="INVALIDATED_RESOURCE")
    found = await spine_client.get(
        "/Patient",
        params={"family": row["family"], "birthdate": row["birth_date"].isoformat()},
        headers=spine_headers(),
    )
    assert row["nhs_number"] not in ids(found.json())


async def test_search_shape_is_smaller_than_retrieve(admin_client: httpx.AsyncClient) -> None:
    number = await make(admin_client, ["Shay"], "Shapeley")
    await admin_client.post(
        f"/_admin/patients/{number}/name", json={"given": ["Shay"], "family": "Shapesby"}
    )
    retrieved = (await admin_client.get(f"{BASE}/Patient/{number}", headers=spine_headers())).json()
    assert len(retrieved["name"]) == 2
    found = (await search(admin_client, family="Shapesby", birthdate=DOB))["entry"][0]
    assert found["fullUrl"] == (
        f"https://api.service.nhs.uk/personal-demographics/FHIR/R4/Patient/{number}"
    )
    assert [n["use"] for n in found["resource"]["name"]] == ["usual"]


async def test_search_shape_drops_retrieve_only_extensions(spine_client: httpx.AsyncClient) -> None:
    full = (await spine_client.get("/Patient/9000000009", headers=spine_headers())).json()
    assert "managingOrganization" in full
    assert len(full["extension"]) > 1
    body = await search_client(
        spine_client, family="Smith", birthdate="2010-10-22", gender="female"
    )
    resource = body["entry"][0]["resource"]
    assert "managingOrganization" not in resource
    assert [e["url"].rsplit("-", 1)[-1] for e in resource["extension"]] == [
        "DeathNotificationStatus"
    ]


async def search_client(client: httpx.AsyncClient, **params: str) -> dict[str, Any]:
    response = await client.get("/Patient", params=params, headers=spine_headers())
    body: dict[str, Any] = response.json()
    return body


async def test_population_child_related_people_are_household_parents(
    spine_client: httpx.AsyncClient, spine_db: Any
) -> None:
    row = await spine_db.fetchrow(
        "SELECT r.patient_nhs_number, count(*) AS parents FROM related_person r "
        "JOIN patient p ON p.nhs_number = r.patient_nhs_number "
        "WHERE p.security = 'U' AND r.related_nhs_number IS NOT NULL "
        "GROUP BY r.patient_nhs_number HAVING count(*) = 2 LIMIT 1"
    )
    response = await spine_client.get(
        f"/Patient/{row['patient_nhs_number']}/RelatedPerson", headers=spine_headers()
    )
    body = response.json()
    assert body["total"] == 2
    codes = {e["resource"]["relationship"][0]["coding"][0]["code"] for e in body["entry"]}
    assert codes <= {"MTH", "FTH"}
    parent = body["entry"][0]["resource"]["patient"]["identifier"]["value"]
    household = await spine_db.fetch(
        "SELECT household_id FROM patient WHERE nhs_number = ANY($1::text[])",
        [parent, row["patient_nhs_number"]],
    )
    assert len({r["household_id"] for r in household}) == 1


async def test_population_twins_have_birth_order(
    spine_client: httpx.AsyncClient, spine_db: Any
) -> None:
    row = await spine_db.fetchrow(
        "SELECT nhs_number, multiple_birth FROM patient WHERE multiple_birth IS NOT NULL "
        "AND status = 'active' AND security = 'U' AND nhs_number LIKE '99%' LIMIT 1"
    )
    body = (await spine_client.get(f"/Patient/{row['nhs_number']}", headers=spine_headers())).json()
    assert body["multipleBirthInteger"] == row["multiple_birth"]
