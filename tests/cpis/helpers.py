"""Small helpers shared by the CP-IS tests."""

from typing import Any

import httpx

from app.cpis.profile import CPIS_UPLOAD_RESPONSE_SYSTEM, REJECTION_SYSTEM
from app.fhir.resources import Bundle
from mock_spine.settings import PDS_BASE_PATH
from tests.fixtures.fhir import FHIR_CONTENT_TYPE

UNSCHEDULED = {"IsUnscheduledAccessEvent": "true"}
SCHEDULED = {"IsUnscheduledAccessEvent": "false"}


def reason_codes(outcome: dict[str, Any]) -> tuple[str | None, str | None]:
    """(our rejection reason, the CP-IS CPR code) from an OperationOutcome."""
    codings = outcome["issue"][0].get("details", {}).get("coding", [])
    ours = next((c["code"] for c in codings if c["system"] == REJECTION_SYSTEM), None)
    cpr = next((c["code"] for c in codings if c["system"] == CPIS_UPLOAD_RESPONSE_SYSTEM), None)
    return ours, cpr


def refused(response: httpx.Response, status: int, reason: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == FHIR_CONTENT_TYPE
    body: dict[str, Any] = response.json()
    assert body["resourceType"] == "OperationOutcome"
    assert reason_codes(body)[0] == reason, body
    return body


def searchset(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    Bundle.model_validate(body)
    return body


def flags_in(bundle: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        e["resource"] for e in bundle.get("entry", []) if e["resource"]["resourceType"] == "Flag"
    ]


def access_in(bundle: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        e["resource"]
        for e in bundle.get("entry", [])
        if e["resource"]["resourceType"] == "AuditEvent"
    ]


async def new_child(
    http: httpx.AsyncClient,
    spine_base_url: str,
    *,
    given: list[str] | None = None,
    family: str = "Nowak",
    gender: str = "female",
    birth_date: str = "2016-03-09",
) -> dict[str, Any]:
    """A new patient in the mock Spine (over its /_admin API), with its NHS number."""
    admin = spine_base_url.removesuffix(PDS_BASE_PATH) + "/_admin/patients"
    child = {
        "given": given or ["Ava-Rose"],
        "family": family,
        "gender": gender,
        "birth_date": birth_date,
    }
    response = await http.post(admin, json=child)
    assert response.status_code == 201, response.text
    return child | {"nhs_number": response.json()["nhs_number"]}
