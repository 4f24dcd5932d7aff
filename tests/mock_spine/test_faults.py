"""Fault injection: latency, error rate and a TPS limit answering 429 with Retry-After."""

import time

import httpx

from tests.fixtures.fhir import assert_operation_outcome
from tests.fixtures.spine import spine_headers
from tests.mock_spine.test_admin import BASE


async def test_faults_are_off_by_default(admin_client: httpx.AsyncClient) -> None:
    assert (await admin_client.get("/_admin/faults")).json() == {
        "latency_ms": 0,
        "error_rate": 0.0,
        "error_status": 500,
        "rate_limit_tps": 0.0,
    }
    for _ in range(20):
        response = await admin_client.get(f"{BASE}/Patient/9000000009", headers=spine_headers())
        assert response.status_code == 200


async def test_latency(admin_client: httpx.AsyncClient) -> None:
    await admin_client.put("/_admin/faults", json={"latency_ms": 150})
    started = time.perf_counter()
    response = await admin_client.get(f"{BASE}/Patient/9000000009", headers=spine_headers())
    assert response.status_code == 200
    assert time.perf_counter() - started >= 0.15


async def test_error_rate(admin_client: httpx.AsyncClient) -> None:
    await admin_client.put("/_admin/faults", json={"error_rate": 1.0, "error_status": 503})
    response = await admin_client.get(f"{BASE}/Patient/9000000009", headers=spine_headers())
    assert_operation_outcome(response, 503, code="timeout", spine_code="SERVICE_UNAVAILABLE")
    assert response.headers["retry-after"] == "1"
    await admin_client.put("/_admin/faults", json={"error_rate": 0.5})
    statuses = [
        (await admin_client.get(f"{BASE}/Patient/9000000009", headers=spine_headers())).status_code
        for _ in range(60)
    ]
    assert {200, 500} == set(statuses)


async def test_rate_limit_answers_429_with_retry_after(admin_client: httpx.AsyncClient) -> None:
    await admin_client.put("/_admin/faults", json={"rate_limit_tps": 5})
    statuses = []
    for _ in range(8):
        response = await admin_client.get(f"{BASE}/Patient/9000000009", headers=spine_headers())
        statuses.append(response.status_code)
    assert statuses[:5] == [200] * 5
    assert 429 in statuses[5:]
    limited = response
    body = assert_operation_outcome(limited, 429, spine_code="TOO_MANY_REQUESTS")
    assert limited.headers["retry-after"] == "1"
    assert body["issue"][0]["code"] == "throttled"
    assert limited.headers["x-request-id"]  # mirrored even on a throttled answer
