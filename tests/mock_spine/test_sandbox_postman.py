"""The published PDS Postman collection's expectations (facts sheet A5), row by row,
against the sandbox patients living among the synthetic population."""

from typing import Any

import httpx
import pytest

from tests.fixtures.fhir import assert_operation_outcome
from tests.fixtures.spine import spine_headers

BASIC = [("family", "Smith"), ("gender", "female"), ("birthdate", "eq2010-10-22")]
FUZZY = [("family", "smith"), ("given", "Jane"), ("gender", "female"),
         ("birthdate", "2010-10-22"), ("_fuzzy-match", "true")]  # fmt: skip
WILDCARD = [("family", "Sm*"), ("gender", "female"), ("birthdate", "eq2010-10-22")]
PHONE = ("phone", "01632960587")
EMAIL = ("email", "jane.smith@example.com")
MULTI = [("_fuzzy-match", "false"), ("_exact-match", "false"), ("_max-results", "1"),
         ("family", "Smith"), ("given", "Jane"), ("gender", "female"),
         ("birthdate", "eq2010-10-22"), ("death-date", "eq2010-10-22"),
         ("address-postcode", "LS1 6AE"), ("general-practitioner", "Y12345")]  # fmt: skip

ROWS: list[tuple[str, list[tuple[str, str]], list[str]]] = [
    ("date range", [("family", "Smith"), ("gender", "female"), ("birthdate", "ge2010-10-21"),
                    ("birthdate", "le2010-10-23")], ["9000000009"]),
    ("basic", BASIC, ["9000000009"]),
    ("basic phone", [*BASIC, PHONE], ["9000000009"]),
    ("basic email", [*BASIC, EMAIL], ["9000000009"]),
    ("basic email and phone", [*BASIC, PHONE, EMAIL], ["9000000009"]),
    ("basic negative", [*BASIC, ("phone", "0121111111"), ("email", "deb.trotter@example.com")], []),
    ("multi phone", [*MULTI, PHONE], ["9000000009"]),
    ("multi email, history without underscore", [*MULTI, ("history", "true"), EMAIL],
     ["9000000009"]),
    ("multi phone and email", [*MULTI, ("_history", "true"), PHONE, EMAIL], ["9000000009"]),
    ("fuzzy", FUZZY, ["9000000017"]),
    ("fuzzy phone", [*FUZZY, PHONE], ["9000000009"]),
    ("fuzzy email", [*FUZZY, EMAIL], ["9000000009"]),
    ("fuzzy phone and email", [*FUZZY, PHONE, EMAIL], ["9000000009"]),
    ("wildcard", WILDCARD, ["9000000009", "9000000017"]),
    ("wildcard phone", [*WILDCARD, PHONE], ["9000000009"]),
    ("wildcard email", [*WILDCARD, EMAIL], ["9000000009"]),
    ("no results", [("family", "Bingham"), ("given", "John"), ("gender", "male"),
                    ("birthdate", "1934-12-18")], []),
    ("limited phone", [*WILDCARD, PHONE, ("_max-results", "1")], ["9000000009"]),
    ("limited email", [*WILDCARD, ("email", "janet.smythe@example.com"), ("_max-results", "1")],
     ["9000000009"]),
    ("restricted", [("family", "Smythe"), ("given", "Janet"), ("gender", "female"),
                    ("birthdate", "eq2005-06-16")], ["9000000025"]),
    ("exact match flag", [("family", "KNAPP"), ("gender", "female"), ("birthdate", "1943-07-03"),
                          ("_exact-match", "true")], ["9736363120"]),
    ("history flag", [("family", "Smith"), ("gender", "male"), ("birthdate", "2000-05-05"),
                      ("_history", "true"), ("email", "Historic@historic.com")], ["5900020584"]),
    ("history needed", [("family", "Smith"), ("gender", "male"), ("birthdate", "2000-05-05"),
                        ("email", "Historic@historic.com")], []),
    ("compound name", [("family", "Smith"), ("given", "John Paul"), ("given", "James"),
                       ("gender", "male"), ("birthdate", "eq2010-10-22"),
                       ("email", "johnp.smith@example.com"), PHONE], ["9000000041"]),
]  # fmt: skip


async def search(client: httpx.AsyncClient, params: list[tuple[str, str]]) -> httpx.Response:
    return await client.get("/Patient", params=tuple(params), headers=spine_headers())


@pytest.mark.parametrize(("label", "params", "expected"), ROWS, ids=[row[0] for row in ROWS])
async def test_postman_search(
    spine_client: httpx.AsyncClient,
    label: str,
    params: list[tuple[str, str]],
    expected: list[str],
) -> None:
    response = await search(spine_client, params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert body["resourceType"] == "Bundle"
    assert body["type"] == "searchset"
    assert body["total"] == len(expected)
    if not expected:
        assert "entry" not in body
        return
    assert [entry["resource"]["id"] for entry in body["entry"]] == expected


async def test_wildcard_with_limit_is_too_many_matches(spine_client: httpx.AsyncClient) -> None:
    response = await search(spine_client, [*WILDCARD, ("_max-results", "1")])
    body = assert_operation_outcome(
        response,
        200,
        code="multiple-matches",
        spine_code="TOO_MANY_MATCHES",
        severity="information",
    )
    assert body["issue"][0]["details"]["coding"][0]["display"] == "Too Many Matches"
    assert "diagnostics" not in body["issue"][0]


async def test_no_parameters_is_unsupported_service(spine_client: httpx.AsyncClient) -> None:
    body = assert_operation_outcome(
        await search(spine_client, []), 400, spine_code="UNSUPPORTED_SERVICE"
    )
    assert body["issue"][0]["details"]["coding"][0]["display"] == "Unsupported Service"
    assert "diagnostics" not in body["issue"][0]


@pytest.mark.parametrize("field", ["birthdate", "death-date"])
async def test_invalid_date_format(spine_client: httpx.AsyncClient, field: str) -> None:
    params = [("family", "Smith"), ("birthdate", "eq2010-10-22")]
    params = [p for p in params if p[0] != field] + [(field, "20101022")]
    body = assert_operation_outcome(
        await search(spine_client, params), 400, code="value", spine_code="INVALID_VALUE"
    )
    assert body["issue"][0]["diagnostics"] == f"Invalid value - '20101022' in field '{field}'"


async def test_restricted_search_result_withholds_location(spine_client: httpx.AsyncClient) -> None:
    params = [("family", "Smythe"), ("given", "Janet"), ("gender", "female"),
              ("birthdate", "eq2005-06-16")]  # fmt: skip
    resource = (await search(spine_client, params)).json()["entry"][0]["resource"]
    assert resource["meta"]["security"][0]["code"] == "R"
    for withheld in ("address", "telecom", "contact", "generalPractitioner"):
        assert withheld not in resource


RETRIEVE_SECURITY = {
    "9000000009": {"code": "U", "display": "unrestricted"},
    "9000000025": {"code": "R", "display": "restricted"},
}


@pytest.mark.parametrize(("number", "security"), RETRIEVE_SECURITY.items())
async def test_retrieve_security_label(
    spine_client: httpx.AsyncClient, number: str, security: dict[str, str]
) -> None:
    response = await spine_client.get(f"/Patient/{number}", headers=spine_headers())
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == number
    system = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"
    assert body["meta"]["security"][0] == {"system": system, **security}


async def test_retrieve_invalid_and_absent(spine_client: httpx.AsyncClient) -> None:
    invalid = await spine_client.get("/Patient/9000000000", headers=spine_headers())
    body = assert_operation_outcome(invalid, 400, spine_code="INVALID_RESOURCE_ID")
    assert body["issue"][0]["details"]["coding"][0]["display"] == "Resource Id is invalid"
    absent = await spine_client.get("/Patient/9111231130", headers=spine_headers())
    body = assert_operation_outcome(
        absent, 404, code="not-found", spine_code="RESOURCE_NOT_FOUND", severity="information"
    )
    assert body["issue"][0]["details"]["coding"][0]["display"] == "Resource not found"


@pytest.mark.parametrize(("number", "total"), [("9000000017", 1), ("9000000025", 0),
                                               ("9000000009", 2)])  # fmt: skip
async def test_related_people_counts(
    spine_client: httpx.AsyncClient, number: str, total: int
) -> None:
    response = await spine_client.get(f"/Patient/{number}/RelatedPerson", headers=spine_headers())
    assert response.status_code == 200
    body = response.json()
    assert body["total"] == total
    assert ("entry" in body) == (total > 0)


async def test_minimal_record(spine_client: httpx.AsyncClient) -> None:
    body = (await spine_client.get("/Patient/9000000033", headers=spine_headers())).json()
    assert set(body) == {"resourceType", "id", "identifier", "meta"}
    assert body["meta"]["versionId"] == "2"
