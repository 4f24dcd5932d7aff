"""X-Request-ID is required and validated exactly as PDS does, before anything else;
X-Request-ID and X-Correlation-ID are mirrored back; unknown paths are UNSUPPORTED_REQUEST."""

import uuid

import httpx
import pytest

from tests.fixtures.fhir import assert_operation_outcome
from tests.fixtures.spine import spine_headers


@pytest.mark.parametrize(
    "path", ["/Patient/9000000009", "/Patient/9000000000", "/Patient?family=x"]
)
async def test_missing_request_id_comes_first(spine_client: httpx.AsyncClient, path: str) -> None:
    body = assert_operation_outcome(
        await spine_client.get(path), 400, code="required", spine_code="MISSING_VALUE"
    )
    assert body["issue"][0]["diagnostics"] == (
        "Invalid request with error - X-Request-ID header must be supplied to access this resource"
    )


@pytest.mark.parametrize("value", ["1234", "", "not-a-uuid", str(uuid.uuid4()) + "0"])
async def test_invalid_request_id(spine_client: httpx.AsyncClient, value: str) -> None:
    response = await spine_client.get("/Patient/9000000009", headers={"X-Request-ID": value})
    body = assert_operation_outcome(response, 400, code="value", spine_code="INVALID_VALUE")
    assert body["issue"][0]["diagnostics"] == f"Invalid value - '{value}' in header 'X-Request-ID'"


async def test_ids_are_mirrored(spine_client: httpx.AsyncClient) -> None:
    headers = spine_headers(**{"X-Correlation-ID": "trace-42"})
    response = await spine_client.get("/Patient/9000000009", headers=headers)
    assert response.headers["x-request-id"] == headers["X-Request-ID"]
    assert response.headers["x-correlation-id"] == "trace-42"
    assert response.headers["etag"] == 'W/"2"'
    assert response.headers["content-type"] == "application/fhir+json; charset=utf-8"
    error = await spine_client.get("/Patient/9000000000", headers=headers)
    assert error.headers["x-request-id"] == headers["X-Request-ID"]


async def test_uppercase_uuid_accepted(spine_client: httpx.AsyncClient) -> None:
    value = str(uuid.uuid4()).upper()
    response = await spine_client.get("/Patient/9000000009", headers={"X-Request-ID": value})
    assert response.status_code == 200


@pytest.mark.parametrize("path", ["/HelloWorld", "/Observation", "/Patient/9000000009/Flag"])
async def test_unknown_path(spine_client: httpx.AsyncClient, path: str) -> None:
    body = assert_operation_outcome(
        await spine_client.get(path, headers=spine_headers()),
        400,
        spine_code="UNSUPPORTED_REQUEST",
    )
    assert body["issue"][0]["diagnostics"] == f"Unsupported path - '{path}'"


async def test_put_is_unsupported_service(spine_client: httpx.AsyncClient) -> None:
    response = await spine_client.put("/Patient/9000000009", headers=spine_headers(), json={})
    assert_operation_outcome(response, 400, spine_code="UNSUPPORTED_SERVICE")


@pytest.mark.parametrize("number", ["900000000", "90000000090", "900000000A", "9000000000"])
async def test_invalid_resource_id(spine_client: httpx.AsyncClient, number: str) -> None:
    response = await spine_client.get(f"/Patient/{number}", headers=spine_headers())
    assert_operation_outcome(response, 400, code="value", spine_code="INVALID_RESOURCE_ID")
    related = await spine_client.get(f"/Patient/{number}/RelatedPerson", headers=spine_headers())
    assert_operation_outcome(related, 400, spine_code="INVALID_RESOURCE_ID")


async def test_ping_needs_no_request_id(spine_client: httpx.AsyncClient) -> None:
    assert (await spine_client.get("/_ping")).status_code == 200


async def test_live_server(spine_base_url: str) -> None:
    async with httpx.AsyncClient(base_url=spine_base_url) as client:
        response = await client.get("/Patient/9000000009", headers=spine_headers())
    assert response.status_code == 200
    assert response.json()["id"] == "9000000009"


@pytest.mark.parametrize(
    ("authorization", "diagnostics"),
    [
        ("", "Empty Authorization header"),
        ("Basic abc", "Invalid token type 'Basic', must be 'Bearer'"),
        ("Bearer", "Missing access token"),
    ],
)
async def test_authorization_when_sent_must_be_bearer(
    spine_client: httpx.AsyncClient, authorization: str, diagnostics: str
) -> None:
    response = await spine_client.get(
        "/Patient/9000000009", headers=spine_headers(Authorization=authorization)
    )
    body = assert_operation_outcome(response, 401, code="forbidden", spine_code="ACCESS_DENIED")
    assert body["issue"][0]["diagnostics"] == diagnostics


async def test_any_bearer_token_is_accepted(spine_client: httpx.AsyncClient) -> None:
    headers = spine_headers(Authorization="Bearer eyJhbGciOi.payload-x_y.sig")
    assert (await spine_client.get("/Patient/9000000009", headers=headers)).status_code == 200
