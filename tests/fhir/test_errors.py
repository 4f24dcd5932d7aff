"""Every error status the gateway can produce is an OperationOutcome."""

import uuid

import httpx
import pytest
from fastapi import FastAPI

from app.fhir.errors import TooManyRequests
from app.fhir.routing import fhir_router
from app.main import create_app
from tests.fixtures.app import gateway_settings
from tests.fixtures.fhir import assert_operation_outcome

VALIDATE = "/$validate-identifier"
NHS = "https://fhir.nhs.uk/Id/nhs-number"


async def test_unknown_route_is_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/NoSuchThing")
    assert_operation_outcome(
        response, 404, spine_code="UNSUPPORTED_REQUEST", diagnostics_contains="/NoSuchThing"
    )


async def test_wrong_method_is_405_with_allow(client: httpx.AsyncClient) -> None:
    response = await client.delete("/metadata")
    assert_operation_outcome(response, 405, code="not-supported")
    assert response.headers["allow"] == "GET"


async def test_missing_parameter_is_400_not_422(client: httpx.AsyncClient) -> None:
    response = await client.get(VALIDATE, params={"system": NHS})
    body = assert_operation_outcome(response, 400, code="required", spine_code="MISSING_VALUE")
    assert body["issue"][0]["expression"] == ["query.value"]


async def test_unknown_identifier_system_is_400(client: httpx.AsyncClient) -> None:
    response = await client.get(VALIDATE, params={"system": "urn:nope", "value": "1"})
    assert_operation_outcome(
        response, 400, spine_code="INVALID_VALUE", diagnostics_contains="urn:nope"
    )


async def test_unacceptable_accept_is_406(client: httpx.AsyncClient) -> None:
    response = await client.get("/metadata", headers={"Accept": "application/fhir+xml"})
    assert_operation_outcome(response, 406, code="not-supported")


async def test_unacceptable_format_is_406(client: httpx.AsyncClient) -> None:
    response = await client.get("/metadata", params={"_format": "xml"})
    assert_operation_outcome(response, 406, code="not-supported")


@pytest.mark.parametrize(
    "accept",
    ["application/json", "application/fhir+json; fhirVersion=4.0", "*/*", "text/html, */*;q=0.1"],
)
async def test_json_accepts_are_served(client: httpx.AsyncClient, accept: str) -> None:
    response = await client.get("/metadata", headers={"Accept": accept})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/fhir+json; charset=utf-8"


async def test_format_json_overrides_accept(client: httpx.AsyncClient) -> None:
    response = await client.get(
        "/metadata", params={"_format": "json"}, headers={"Accept": "application/xml"}
    )
    assert response.status_code == 200


async def test_invalid_request_id_is_400_and_a_new_one_is_echoed(client: httpx.AsyncClient) -> None:
    response = await client.get("/metadata", headers={"X-Request-ID": "1234"})
    assert_operation_outcome(
        response,
        400,
        spine_code="INVALID_VALUE",
        diagnostics_contains="'1234' in header 'X-Request-ID'",
    )
    assert uuid.UUID(response.headers["x-request-id"])


async def test_request_and_correlation_ids_are_echoed(client: httpx.AsyncClient) -> None:
    request_id = str(uuid.uuid4())
    response = await client.get(
        "/_ping", headers={"X-Request-ID": request_id, "X-Correlation-ID": "abc-123"}
    )
    assert response.headers["x-request-id"] == request_id
    assert response.headers["x-correlation-id"] == "abc-123"


async def test_request_id_is_generated_when_absent(client: httpx.AsyncClient) -> None:
    response = await client.get("/NoSuchThing")
    assert uuid.UUID(response.headers["x-request-id"]).version == 4


def _app_with_failing_routes(database_url: str) -> FastAPI:
    app = create_app(gateway_settings(database_url))
    router = fhir_router()

    @router.post("/_test/echo")
    async def echo(body: dict[str, str]) -> dict[str, str]:
        return body

    @router.get("/_test/boom")
    async def boom() -> None:
        raise RuntimeError("secret internal detail 9434765919")

    @router.get("/_test/throttled")
    async def throttled() -> None:
        raise TooManyRequests(retry_after_seconds=7)

    app.include_router(router)
    return app


@pytest.fixture
async def failing_client(database_url: str) -> httpx.AsyncClient:
    app = _app_with_failing_routes(database_url)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://gateway.test")


async def test_unexpected_exception_is_500_without_detail(
    failing_client: httpx.AsyncClient, capsys: pytest.CaptureFixture[str]
) -> None:
    request_id = str(uuid.uuid4())
    response = await failing_client.get("/_test/boom", headers={"X-Request-ID": request_id})
    body = assert_operation_outcome(response, 500, code="exception", spine_code="UNKNOWN_ERROR")
    assert "secret" not in response.text
    assert "RuntimeError" not in response.text
    assert body["issue"][0]["severity"] == "fatal"
    assert response.headers["x-request-id"] == request_id
    logged = capsys.readouterr().err
    assert request_id in logged
    assert "RuntimeError" in logged
    assert "9434765919" not in logged


async def test_rate_limit_is_429_with_retry_after(failing_client: httpx.AsyncClient) -> None:
    response = await failing_client.get("/_test/throttled")
    assert_operation_outcome(response, 429, code="throttled", spine_code="TOO_MANY_REQUESTS")
    assert response.headers["retry-after"] == "7"


async def test_non_json_body_is_415(failing_client: httpx.AsyncClient) -> None:
    response = await failing_client.post(
        "/_test/echo", content=b"<xml/>", headers={"Content-Type": "application/xml"}
    )
    assert_operation_outcome(response, 415, code="not-supported")


async def test_malformed_json_body_is_400(failing_client: httpx.AsyncClient) -> None:
    response = await failing_client.post(
        "/_test/echo", content=b"{not json", headers={"Content-Type": "application/fhir+json"}
    )
    assert_operation_outcome(response, 400)


async def test_unavailable_dependency_is_503(
    gateway_app: FastAPI, client: httpx.AsyncClient
) -> None:
    async def unreachable() -> None:
        raise ConnectionRefusedError("10.0.0.1:5432 password=secret")

    probes = gateway_app.state.readiness_probes
    gateway_app.state.readiness_probes = {**probes, "spine": unreachable}
    try:
        response = await client.get("/_status")
    finally:
        gateway_app.state.readiness_probes = probes
    assert_operation_outcome(
        response, 503, spine_code="SERVICE_UNAVAILABLE", diagnostics_contains="spine"
    )
    assert "secret" not in response.text
    assert response.headers["retry-after"] == "5"


async def test_status_passes_with_a_live_database_and_spine(
    database_url: str, spine_base_url: str
) -> None:
    app = create_app(gateway_settings(database_url, spine_base_url=spine_base_url))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway.test") as http:
            response = await http.get("/_status")
    assert response.status_code == 200, response.text
    checks = response.json()["checks"]
    assert checks["database"]["status"] == "pass"
    assert checks["spine"]["status"] == "pass"


async def test_status_is_503_when_the_spine_is_down(client: httpx.AsyncClient) -> None:
    # The session gateway's Spine URL is a port where nothing listens.
    response = await client.get("/_status")
    assert_operation_outcome(
        response, 503, spine_code="SERVICE_UNAVAILABLE", diagnostics_contains="spine"
    )
