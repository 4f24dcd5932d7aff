"""SpineClient against PDS-shaped responses (respx): mapping, retries, deadlines, breaker.

The behaviour the mock Spine cannot produce on demand lives here; the same client
is exercised over real HTTP against the mock Spine in test_fault_injection.py.
"""

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import respx

from app.fhir.errors import FHIRError, InvalidResourceId, ServiceUnavailable
from app.settings import Settings
from app.trace.spine_client import RetrieveStatus, SearchParams, SpineClient
from cci_common.operation_outcome import SPINE_ERROR_SYSTEM

BASE = "http://spine.test/personal-demographics/FHIR/R4"
JANE = "9000000009"


def patient(number: str, **extra: Any) -> dict[str, Any]:
    return {
        "resourceType": "Patient",
        "id": number,
        "identifier": [{"system": "https://fhir.nhs.uk/Id/nhs-number", "value": number}],
        "meta": {"versionId": "2", "security": [{"code": "U"}]},
        "name": [{"use": "usual", "family": "Smith", "given": ["Jane"]}],
        "birthDate": "2010-10-22",
        **extra,
    }


def outcome(code: str, status_issue: str = "value", diagnostics: str | None = None) -> Any:
    issue: dict[str, Any] = {
        "severity": "error",
        "code": status_issue,
        "details": {"coding": [{"system": SPINE_ERROR_SYSTEM, "code": code}]},
    }
    if diagnostics:
        issue["diagnostics"] = diagnostics
    return {"resourceType": "OperationOutcome", "issue": [issue]}


def settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "spine_base_url": BASE,
        "spine_rate_limit_tps": 0,
        "spine_backoff_base_seconds": 0.01,
        "spine_backoff_max_seconds": 0.02,
        "spine_deadline_seconds": 2.0,
        "spine_read_timeout_seconds": 0.5,
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
async def spine() -> AsyncIterator[SpineClient]:
    client = SpineClient.from_settings(settings())
    yield client
    await client.aclose()


@respx.mock
async def test_retrieve_found_sends_request_and_correlation_ids(spine: SpineClient) -> None:
    route = respx.get(f"{BASE}/Patient/{JANE}").respond(200, json=patient(JANE))
    result = await spine.retrieve(JANE)
    assert result.status is RetrieveStatus.FOUND
    assert result.patient is not None
    assert result.patient.nhs_number == JANE
    assert not result.superseded
    assert result.patient.demographics.family == "Smith"
    request = route.calls.last.request
    assert len(request.headers["X-Request-ID"]) == 36
    assert "Authorization" not in request.headers


@respx.mock
async def test_a_cookie_the_spine_sets_is_never_sent_back(spine: SpineClient) -> None:
    # One client serves every caller of the gateway: a cookie kept from one answer would
    # ride on the next caller's request.
    cookie = {"Set-Cookie": "session=abc; Path=/"}
    route = respx.get(f"{BASE}/Patient/{JANE}").respond(200, json=patient(JANE), headers=cookie)
    await spine.retrieve(JANE)
    await spine.retrieve(JANE)
    assert route.call_count == 2
    assert "Cookie" not in route.calls.last.request.headers


@respx.mock
async def test_superseded_number_is_reported_with_the_new_number(spine: SpineClient) -> None:
    respx.get(f"{BASE}/Patient/{JANE}").respond(200, json=patient("9000000017"))
    result = await spine.retrieve(JANE)
    assert result.superseded
    assert result.patient is not None
    assert result.patient.nhs_number == "9000000017"


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("RESOURCE_NOT_FOUND", RetrieveStatus.NOT_FOUND),
        ("INVALIDATED_RESOURCE", RetrieveStatus.INVALIDATED),
    ],
)
@respx.mock
async def test_404s_are_typed(spine: SpineClient, code: str, status: RetrieveStatus) -> None:
    respx.get(f"{BASE}/Patient/{JANE}").respond(404, json=outcome(code, "not-found"))
    result = await spine.retrieve(JANE)
    assert result.status is status
    assert result.patient is None


async def test_invalid_number_never_leaves_the_gateway(spine: SpineClient) -> None:
    with respx.mock(assert_all_called=False) as mock:
        route = mock.get(url__startswith=BASE)
        with pytest.raises(InvalidResourceId):
            await spine.retrieve("9000000000")
        assert not route.called


@respx.mock
async def test_retries_keep_the_request_id_and_honour_retry_after(spine: SpineClient) -> None:
    route = respx.get(f"{BASE}/Patient/{JANE}").mock(
        side_effect=[
            httpx.Response(429, headers={"Retry-After": "0.05"}, json=outcome("TOO_MANY_REQUESTS")),
            httpx.Response(503, json=outcome("SERVICE_UNAVAILABLE", "timeout")),
            httpx.Response(200, json=patient(JANE)),
        ]
    )
    started = time.monotonic()
    result = await spine.retrieve(JANE)
    assert result.status is RetrieveStatus.FOUND
    assert time.monotonic() - started >= 0.05
    ids = {call.request.headers["X-Request-ID"] for call in route.calls}
    assert route.call_count == 3
    assert len(ids) == 1


@respx.mock
async def test_persistent_5xx_is_503_not_500(spine: SpineClient) -> None:
    route = respx.get(f"{BASE}/Patient/{JANE}").respond(500, text="boom")
    with pytest.raises(ServiceUnavailable):
        await spine.retrieve(JANE)
    assert route.call_count == 3  # first try + spine_max_retries


@respx.mock
async def test_a_hanging_spine_ends_within_the_deadline() -> None:
    async def hang(_request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(10)
        return httpx.Response(200)

    respx.get(f"{BASE}/Patient/{JANE}").mock(side_effect=hang)
    client = SpineClient.from_settings(settings(spine_deadline_seconds=0.3))
    started = time.monotonic()
    with pytest.raises(ServiceUnavailable):
        await client.retrieve(JANE)
    assert time.monotonic() - started < 0.6
    await client.aclose()


@respx.mock
async def test_retry_after_beyond_the_deadline_fails_fast(spine: SpineClient) -> None:
    respx.get(f"{BASE}/Patient/{JANE}").respond(
        429, headers={"Retry-After": "30"}, json=outcome("TOO_MANY_REQUESTS")
    )
    started = time.monotonic()
    with pytest.raises(ServiceUnavailable):
        await spine.retrieve(JANE)
    assert time.monotonic() - started < 0.5


@respx.mock
async def test_connection_errors_are_503() -> None:
    respx.get(f"{BASE}/Patient/{JANE}").mock(side_effect=httpx.ConnectError("refused"))
    client = SpineClient.from_settings(settings())
    with pytest.raises(ServiceUnavailable) as caught:
        await client.retrieve(JANE)
    assert caught.value.status_code == 503
    await client.aclose()


@respx.mock
async def test_breaker_opens_after_repeated_failures_and_recovers() -> None:
    route = respx.get(f"{BASE}/Patient/{JANE}").respond(503)
    client = SpineClient.from_settings(
        settings(
            spine_max_retries=0,
            spine_breaker_failure_threshold=3,
            spine_breaker_reset_seconds=0.2,
        )
    )
    for _ in range(3):
        with pytest.raises(ServiceUnavailable):
            await client.retrieve(JANE)
    with pytest.raises(ServiceUnavailable, match="circuit open"):
        await client.retrieve(JANE)
    assert route.call_count == 3
    await asyncio.sleep(0.25)
    route.respond(200, json=patient(JANE))
    assert (await client.retrieve(JANE)).status is RetrieveStatus.FOUND
    await client.aclose()


@respx.mock
async def test_spine_credentials_refused_is_503(spine: SpineClient) -> None:
    respx.get(f"{BASE}/Patient/{JANE}").respond(401, json=outcome("ACCESS_DENIED", "forbidden"))
    with pytest.raises(ServiceUnavailable):
        await spine.retrieve(JANE)


@respx.mock
async def test_static_bearer_token_is_sent() -> None:
    route = respx.get(f"{BASE}/Patient/{JANE}").respond(200, json=patient(JANE))
    client = SpineClient.from_settings(settings(spine_access_token="abc123"))
    await client.retrieve(JANE)
    assert route.calls.last.request.headers["Authorization"] == "Bearer abc123"
    await client.aclose()


@respx.mock
async def test_search_returns_matches_by_score(spine: SpineClient) -> None:
    bundle = {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": 2,
        "entry": [
            {"resource": patient("9000000017"), "search": {"score": 0.8}},
            {"resource": patient(JANE), "search": {"score": 1}},
        ],
    }
    route = respx.get(f"{BASE}/Patient").respond(200, json=bundle)
    params = SearchParams(family="Smith", given=("Jane",), birthdate=("eq2010-10-22",), fuzzy=True)
    result = await spine.search(params)
    assert [p.nhs_number for p in result.matches] == [JANE, "9000000017"]
    assert result.matches[0].score == 1.0
    query = route.calls.last.request.url.params
    assert query.get_list("given") == ["Jane"]
    assert query["_fuzzy-match"] == "true"


@respx.mock
async def test_search_too_many_matches_is_200_outcome(spine: SpineClient) -> None:
    too_many = outcome("TOO_MANY_MATCHES", "multiple-matches")
    respx.get(f"{BASE}/Patient").respond(200, json=too_many)
    result = await spine.search(SearchParams(family="Sm*", birthdate=("eq2010-10-22",)))
    assert result.too_many_matches
    assert result.matches == ()


@respx.mock
async def test_empty_search_has_no_entry(spine: SpineClient) -> None:
    respx.get(f"{BASE}/Patient").respond(
        200, json={"resourceType": "Bundle", "type": "searchset", "total": 0}
    )
    result = await spine.search(SearchParams(family="Bingham", birthdate=("eq1934-12-18",)))
    assert result.matches == ()
    assert not result.too_many_matches


@respx.mock
async def test_spine_400_is_passed_on_with_its_code(spine: SpineClient) -> None:
    respx.get(f"{BASE}/Patient").respond(
        400, json=outcome("INVALID_SEARCH_DATA", diagnostics="Invalid search data provided")
    )
    with pytest.raises(FHIRError) as caught:
        await spine.search(SearchParams(birthdate=("eq2010-10-22",)))
    assert caught.value.status_code == 400
    assert caught.value.code == "INVALID_SEARCH_DATA"


@respx.mock
async def test_non_json_answer_is_503(spine: SpineClient) -> None:
    respx.get(f"{BASE}/Patient/{JANE}").respond(200, text="<html>proxy error</html>")
    with pytest.raises(ServiceUnavailable):
        await spine.retrieve(JANE)
