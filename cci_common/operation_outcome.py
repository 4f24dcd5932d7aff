"""FHIR R4 OperationOutcome building with the NHS Spine error-code vocabulary.

The Spine codes and displays are those PDS publishes
(CodeSystem https://fhir.nhs.uk/R4/CodeSystem/Spine-ErrorOrWarningCode).
Unlike PDS, `expression` is emitted as an array, as FHIR R4 requires.
"""

from enum import StrEnum
from typing import Any

SPINE_ERROR_SYSTEM = "https://fhir.nhs.uk/R4/CodeSystem/Spine-ErrorOrWarningCode"


class Severity(StrEnum):
    FATAL = "fatal"
    ERROR = "error"
    WARNING = "warning"
    INFORMATION = "information"


class IssueType(StrEnum):
    """The subset of http://hl7.org/fhir/issue-type this service emits."""

    INVALID = "invalid"
    STRUCTURE = "structure"
    REQUIRED = "required"
    VALUE = "value"
    INVARIANT = "invariant"
    SECURITY = "security"
    LOGIN = "login"
    FORBIDDEN = "forbidden"
    NOT_FOUND = "not-found"
    DELETED = "deleted"
    MULTIPLE_MATCHES = "multiple-matches"
    CONFLICT = "conflict"
    PROCESSING = "processing"
    NOT_SUPPORTED = "not-supported"
    BUSINESS_RULE = "business-rule"
    TOO_COSTLY = "too-costly"
    THROTTLED = "throttled"
    TIMEOUT = "timeout"
    TRANSIENT = "transient"
    EXCEPTION = "exception"
    INFORMATIONAL = "informational"
    UNKNOWN = "unknown"
    TOKEN = "token"  # noqa: S105 - issue type code, not a secret


class SpineCode(StrEnum):
    INVALID_RESOURCE_ID = "INVALID_RESOURCE_ID"
    UNSUPPORTED_SERVICE = "UNSUPPORTED_SERVICE"
    UNSUPPORTED_REQUEST = "UNSUPPORTED_REQUEST"
    MISSING_VALUE = "MISSING_VALUE"
    INVALID_VALUE = "INVALID_VALUE"
    INVALID_SEARCH_DATA = "INVALID_SEARCH_DATA"
    ADDITIONAL_PROPERTIES = "ADDITIONAL_PROPERTIES"
    INVALID_UPDATE = "INVALID_UPDATE"
    VALIDATION_ERROR = "VALIDATION_ERROR"
    ACCESS_DENIED = "ACCESS_DENIED"
    INVALID_METHOD = "INVALID_METHOD"
    FORBIDDEN_UPDATE = "FORBIDDEN_UPDATE"
    RESOURCE_NOT_FOUND = "RESOURCE_NOT_FOUND"
    INVALIDATED_RESOURCE = "INVALIDATED_RESOURCE"
    UNABLE_TO_CALL_SERVICE = "UNABLE_TO_CALL_SERVICE"
    RESOURCE_VERSION_MISMATCH = "RESOURCE_VERSION_MISMATCH"
    PRECONDITION_FAILED = "PRECONDITION_FAILED"
    TOO_MANY_REQUESTS = "TOO_MANY_REQUESTS"
    SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"
    TOO_MANY_MATCHES = "TOO_MANY_MATCHES"
    UNKNOWN_ERROR = "UNKNOWN_ERROR"
    NOT_ACCEPTABLE = "NOT_ACCEPTABLE"
    UNSUPPORTED_MEDIA_TYPE = "UNSUPPORTED_MEDIA_TYPE"
    METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED"


SPINE_DISPLAYS: dict[SpineCode, str] = {
    SpineCode.INVALID_RESOURCE_ID: "Resource Id is invalid",
    SpineCode.UNSUPPORTED_SERVICE: "Unsupported Service",
    SpineCode.UNSUPPORTED_REQUEST: "The request is not one that is supported.",
    SpineCode.MISSING_VALUE: "Required value is missing",
    SpineCode.INVALID_VALUE: "Provided value is invalid",
    SpineCode.INVALID_SEARCH_DATA: "Search data is invalid",
    SpineCode.ADDITIONAL_PROPERTIES: "Additional properties should not be included",
    SpineCode.INVALID_UPDATE: "Update is invalid",
    SpineCode.VALIDATION_ERROR: "A parameter or value has resulted in a validation error",
    SpineCode.ACCESS_DENIED: "Access Denied - Unauthorised",
    SpineCode.INVALID_METHOD: "Invalid method",
    SpineCode.FORBIDDEN_UPDATE: "Update is forbidden",
    SpineCode.RESOURCE_NOT_FOUND: "Resource not found",
    SpineCode.INVALIDATED_RESOURCE: (
        "Resource that has been marked as invalid was requested - "
        "invalid resources cannot be retrieved"
    ),
    SpineCode.UNABLE_TO_CALL_SERVICE: "Unable to call service",
    SpineCode.RESOURCE_VERSION_MISMATCH: "Resource version supplied does not match actual version",
    SpineCode.PRECONDITION_FAILED: "Required condition was not fulfilled",
    SpineCode.TOO_MANY_REQUESTS: "Too many requests",
    SpineCode.SERVICE_UNAVAILABLE: "Service unavailable",
    SpineCode.TOO_MANY_MATCHES: "Too Many Matches",
    SpineCode.UNKNOWN_ERROR: "Unknown Error",
    SpineCode.NOT_ACCEPTABLE: "Requested content type cannot be produced",
    SpineCode.UNSUPPORTED_MEDIA_TYPE: "Request content type is not supported",
    SpineCode.METHOD_NOT_ALLOWED: "Method not allowed for this resource",
}


def issue(
    *,
    severity: Severity,
    code: IssueType,
    spine_code: SpineCode | None = None,
    diagnostics: str | None = None,
    expression: list[str] | None = None,
) -> dict[str, Any]:
    entry: dict[str, Any] = {"severity": severity.value, "code": code.value}
    if spine_code is not None:
        entry["details"] = {
            "coding": [
                {
                    "system": SPINE_ERROR_SYSTEM,
                    "version": "1",
                    "code": spine_code.value,
                    "display": SPINE_DISPLAYS[spine_code],
                }
            ]
        }
    if diagnostics:
        entry["diagnostics"] = diagnostics
    if expression:
        entry["expression"] = expression
    return entry


def operation_outcome(*issues: dict[str, Any]) -> dict[str, Any]:
    return {"resourceType": "OperationOutcome", "issue": list(issues)}
