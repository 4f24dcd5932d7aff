"""Spine error responses (PDS OperationOutcomes, spec A3) mapped to the gateway's FHIRErrors.

A 4xx about what we sent is passed on with the Spine's own code, since it is about
the caller's input; anything about the Spine or our credentials is a 503, because
the caller can do nothing about it but try later.
"""

from typing import Any

import httpx
import structlog

from app.fhir.errors import FHIRError, InvalidResourceId, ServiceUnavailable
from cci_common.operation_outcome import IssueType, SpineCode

log = structlog.get_logger("app.trace.spine")


class InvalidatedResource(FHIRError):
    """The record was invalidated and not superseded: PDS's 404 INVALIDATED_RESOURCE."""

    status_code = 404
    issue_type = IssueType.PROCESSING
    spine_code = SpineCode.INVALIDATED_RESOURCE


_SPINE_CODES = {code.value: code for code in SpineCode}
_ISSUE_TYPES = {issue_type.value: issue_type for issue_type in IssueType}


def _first_issue(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    if not isinstance(body, dict) or body.get("resourceType") != "OperationOutcome":
        return {}
    issues = body.get("issue")
    return issues[0] if isinstance(issues, list) and issues and isinstance(issues[0], dict) else {}


def spine_code_of(response: httpx.Response) -> str | None:
    """`issue[0].details.coding[0].code` of a Spine OperationOutcome, if there is one."""
    codings = (_first_issue(response).get("details") or {}).get("coding") or []
    code = codings[0].get("code") if codings and isinstance(codings[0], dict) else None
    return code if isinstance(code, str) else None


def error_for_spine_response(response: httpx.Response) -> FHIRError:
    status = response.status_code
    code = spine_code_of(response)
    if status == 400:
        if code == SpineCode.INVALID_RESOURCE_ID:
            return InvalidResourceId(expression=["Patient.id"])
        first = _first_issue(response)
        diagnostics = first.get("diagnostics")
        return FHIRError(
            diagnostics if isinstance(diagnostics, str) else "The Spine rejected the request",
            spine_code=_SPINE_CODES.get(code or "", SpineCode.INVALID_VALUE),
            issue_type=_ISSUE_TYPES.get(str(first.get("code")), IssueType.INVALID),
        )
    if status in (401, 403):
        # Our credentials or onboarding, not the caller's fault: page someone, tell them 503.
        log.error("spine.access_denied", status=status, spine_code=code)
        return ServiceUnavailable("The Spine refused the gateway's credentials")
    log.warning("spine.unexpected_status", status=status, spine_code=code)
    return ServiceUnavailable(f"The Spine answered unexpectedly (HTTP {status})")
