"""OpenAPI-facing models of FHIR structures every route shares (OperationOutcome)."""

from typing import Any

from pydantic import BaseModel, ConfigDict


class Coding(BaseModel):
    system: str | None = None
    version: str | None = None
    code: str | None = None
    display: str | None = None


class CodeableConcept(BaseModel):
    coding: list[Coding] | None = None
    text: str | None = None


class OperationOutcomeIssue(BaseModel):
    severity: str
    code: str
    details: CodeableConcept | None = None
    diagnostics: str | None = None
    expression: list[str] | None = None


class OperationOutcomeModel(BaseModel):
    """FHIR R4 OperationOutcome; `details.coding` uses the Spine error-code system."""

    model_config = ConfigDict(title="OperationOutcome")

    resourceType: str  # noqa: N815 - FHIR element name
    issue: list[OperationOutcomeIssue]


_DESCRIPTIONS = {
    400: "Invalid request (OperationOutcome)",
    401: "Missing or invalid access token (OperationOutcome)",
    403: "Not permitted for this client (OperationOutcome)",
    404: "Not found (OperationOutcome)",
    406: "Unacceptable Accept or _format (OperationOutcome)",
    409: "Version conflict (OperationOutcome)",
    412: "Precondition failed (OperationOutcome)",
    415: "Unsupported Content-Type (OperationOutcome)",
    422: "Business rule violated (OperationOutcome)",
    429: "Rate limited; see Retry-After (OperationOutcome)",
    503: "Upstream unavailable; see Retry-After (OperationOutcome)",
}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route: each status documented as an OperationOutcome."""
    return {
        status: {"model": OperationOutcomeModel, "description": _DESCRIPTIONS[status]}
        for status in statuses
    }
