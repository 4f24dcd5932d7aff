import httpx
import pytest

from app.fhir.resources import Parameters
from cci_common.identifiers import nhs_number, uln, upn
from tests.fixtures.fhir import parameter_values


async def validate(client: httpx.AsyncClient, system: str, value: str) -> dict[str, object]:
    response = await client.get("/$validate-identifier", params={"system": system, "value": value})
    assert response.status_code == 200, response.text
    Parameters.model_validate(response.json())
    return parameter_values(response.json())


@pytest.mark.parametrize("value", ["9434765919", "943 476 5919"])
async def test_valid_nhs_numbers(client: httpx.AsyncClient, value: str) -> None:
    assert await validate(client, nhs_number.SYSTEM, value) == {
        "valid": True,
        "normalised": "9434765919",
    }


@pytest.mark.parametrize("value", ["9434765910", "4857773456"])
async def test_invalid_nhs_numbers_have_a_reason(client: httpx.AsyncClient, value: str) -> None:
    values = await validate(client, nhs_number.SYSTEM, value)
    assert values["valid"] is False
    assert "check digit" in str(values["reason"])


async def test_non_numeric_is_invalid_not_an_error(client: httpx.AsyncClient) -> None:
    values = await validate(client, nhs_number.SYSTEM, "abc")
    assert values["valid"] is False
    assert "normalised" not in values
    assert values["reason"]


async def test_upn_and_uln(client: httpx.AsyncClient) -> None:
    assert (await validate(client, upn.SYSTEM, "H801200001001"))["valid"] is True
    assert (await validate(client, uln.SYSTEM, "1000000000"))["valid"] is True
    assert (await validate(client, uln.SYSTEM, "1000000004"))["valid"] is False
