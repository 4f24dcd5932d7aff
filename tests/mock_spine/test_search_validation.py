"""Search parameter validation: PDS's order, codes and exact diagnostics (facts sheet A2)."""

import httpx
import pytest

from tests.fixtures.fhir import assert_operation_outcome
from tests.fixtures.spine import spine_headers

MINIMUM = (
    "Invalid search data provided - 'No searches were performed as the search criteria "
    "did not meet the minimum requirements'"
)
MISSING_BIRTH = "Missing value - 'birth_date/birth_date_range_start/birth_date_range_end'"


async def search(client: httpx.AsyncClient, params: list[tuple[str, str]]) -> httpx.Response:
    return await client.get("/Patient", params=tuple(params), headers=spine_headers())


@pytest.mark.parametrize(
    ("params", "status", "issue_code", "spine_code", "diagnostics"),
    [
        ([("year", "2010")], 400, "invariant", "ADDITIONAL_PROPERTIES",
         "Invalid request with error - Additional properties are not allowed "
         "('year' was unexpected)"),
        ([("model", "x"), ("manufacturer", "y"), ("year", "z"), ("family", "Smith")], 400,
         "invariant", "ADDITIONAL_PROPERTIES",
         "Invalid request with error - Additional properties are not allowed "
         "('model', 'manufacturer', 'year' were unexpected)"),
        # An unknown parameter is reported before a bad date.
        ([("birthdate", "bad"), ("year", "1")], 400, "invariant", "ADDITIONAL_PROPERTIES", None),
        ([("gender", "mal"), ("family", "Smith"), ("birthdate", "2010-10-22")], 400, "value",
         "INVALID_VALUE", "Invalid value - 'mal' in field 'gender'"),
        ([("family", "Smith"), ("birthdate", "gt2010-10-22")], 400, "value", "INVALID_VALUE",
         "Invalid value - 'gt2010-10-22' in field 'birthdate'"),
        ([("family", "Smith"), ("birthdate", "2010-02-30")], 400, "value", "INVALID_VALUE",
         "Invalid value - '2010-02-30' in field 'birthdate'"),
        ([("family", "Smith"), ("birthdate", "2010-10-22"), ("_max-results", "51")], 400, "value",
         "INVALID_VALUE", "Invalid value - '51' in field '_max-results'"),
        ([("family", "Smith"), ("birthdate", "2010-10-22"), ("_max-results", "0")], 400, "value",
         "INVALID_VALUE", "Invalid value - '0' in field '_max-results'"),
        ([("family", "Smith"), ("birthdate", "2010-10-22"), ("_fuzzy-match", "yes")], 400,
         "value", "INVALID_VALUE", "Invalid value - 'yes' in field '_fuzzy-match'"),
        ([("family", "S*"), ("birthdate", "2010-10-22")], 400, "value", "INVALID_VALUE",
         "Invalid value - 'S*' in field 'family'"),
        ([("family", "Smith"), ("given", "J*"), ("birthdate", "2010-10-22")], 400, "value",
         "INVALID_VALUE", "Invalid value - 'J*' in field 'given'"),
        ([("family", "Smith"), ("given", "Jane"), ("given", "An*"), ("birthdate", "2010-10-22")],
         400, "value", "INVALID_VALUE", "Invalid value - 'An*' in field 'given'"),
        ([("family", "Smith"), ("birthdate", "2010-10-22"), ("email", "jane*@example.com")], 400,
         "value", "INVALID_VALUE", "Invalid value - 'jane*@example.com' in field 'email'"),
        ([("family", "A" * 36), ("birthdate", "2010-10-22")], 400, "value", "INVALID_VALUE", None),
        ([("gender", "female")], 400, "required", "MISSING_VALUE", MISSING_BIRTH),
        ([("email", "j.smith@example.com"), ("phone", "0163")], 400, "required", "MISSING_VALUE",
         MISSING_BIRTH),
        # A missing birth date is reported before a missing family name.
        ([("given", "Jane")], 400, "required", "MISSING_VALUE", MISSING_BIRTH),
        ([("birthdate", "2010-10-22")], 400, "value", "INVALID_SEARCH_DATA", MINIMUM),
        ([("given", "Jane"), ("birthdate", "2010-10-22")], 400, "value", "INVALID_SEARCH_DATA",
         MINIMUM),
        ([("family", "Smith"), ("birthdate", "2010-10-22"), ("_fuzzy-match", "true")], 400,
         "value", "INVALID_SEARCH_DATA", MINIMUM),
        ([("family", "Sm*"), ("given", "Jane"), ("birthdate", "2010-10-22"),
          ("_fuzzy-match", "true")], 400, "value", "INVALID_SEARCH_DATA", None),
        ([("family", "Smith"), ("birthdate", "2010-10-22"), ("address-postcode", "LS1 6AE"),
          ("address-postalcode", "LS1 6AE")], 400, "value", "INVALID_SEARCH_DATA", None),
    ],
)  # fmt: skip
async def test_validation(
    spine_client: httpx.AsyncClient,
    params: list[tuple[str, str]],
    status: int,
    issue_code: str,
    spine_code: str,
    diagnostics: str | None,
) -> None:
    body = assert_operation_outcome(
        await search(spine_client, params), status, code=issue_code, spine_code=spine_code
    )
    if diagnostics is not None:
        assert body["issue"][0]["diagnostics"] == diagnostics


@pytest.mark.parametrize(
    "params",
    [
        [("family", "Smith"), ("given", "Jane"), ("birthdate", "2010-10-22")],
        [("family", "Smith"), ("gender", "female"), ("address-postalcode", "LS16AE"),
         ("birthdate", "2010-10-22")],
        [("given", "Jane"), ("gender", "female"), ("address-postalcode", "LS16AE"),
         ("birthdate", "2010-10-22")],
    ],
)  # fmt: skip
async def test_fuzzy_minimum_sets_are_accepted(
    spine_client: httpx.AsyncClient, params: list[tuple[str, str]]
) -> None:
    response = await search(spine_client, [*params, ("_fuzzy-match", "true")])
    assert response.status_code == 200, response.text
    assert response.json()["resourceType"] == "Bundle"
