"""The one error hierarchy of the gateway, rendered as FHIR OperationOutcome.

Each error carries its HTTP status, FHIR issue type, the Spine error code where
PDS has one, and diagnostics fit for the caller (never internal detail).
"""

from typing import Any, ClassVar

from cci_common.operation_outcome import IssueType, Severity, SpineCode, issue, operation_outcome


class FHIRError(Exception):
    status_code: ClassVar[int] = 400
    issue_type: ClassVar[IssueType] = IssueType.INVALID
    spine_code: ClassVar[SpineCode | None] = None
    severity: ClassVar[Severity] = Severity.ERROR

    def __init__(
        self,
        diagnostics: str | None = None,
        *,
        expression: list[str] | None = None,
        headers: dict[str, str] | None = None,
        spine_code: SpineCode | None = None,
        issue_type: IssueType | None = None,
        extra_issues: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(diagnostics or self.__class__.__name__)
        self.diagnostics = diagnostics
        self.expression = expression
        self.headers = headers or {}
        self.code = spine_code or self.spine_code
        self.type = issue_type or self.issue_type
        self.extra_issues = extra_issues or []

    def to_operation_outcome(self) -> dict[str, Any]:
        first = issue(
            severity=self.severity,
            code=self.type,
            spine_code=self.code,
            diagnostics=self.diagnostics,
            expression=self.expression,
        )
        return operation_outcome(first, *self.extra_issues)


class InvalidValue(FHIRError):
    issue_type = IssueType.VALUE
    spine_code = SpineCode.INVALID_VALUE


class MissingValue(FHIRError):
    issue_type = IssueType.REQUIRED
    spine_code = SpineCode.MISSING_VALUE


class InvalidSearchData(FHIRError):
    issue_type = IssueType.VALUE
    spine_code = SpineCode.INVALID_SEARCH_DATA


class InvalidResourceId(FHIRError):
    issue_type = IssueType.VALUE
    spine_code = SpineCode.INVALID_RESOURCE_ID


class Unauthorized(FHIRError):
    status_code = 401
    issue_type = IssueType.LOGIN
    spine_code = SpineCode.ACCESS_DENIED

    def __init__(self, diagnostics: str, **kwargs: Any) -> None:
        kwargs.setdefault("headers", {"WWW-Authenticate": 'Bearer error="invalid_token"'})
        super().__init__(diagnostics, **kwargs)


class Forbidden(FHIRError):
    status_code = 403
    issue_type = IssueType.FORBIDDEN
    spine_code = SpineCode.ACCESS_DENIED


class NotFound(FHIRError):
    status_code = 404
    issue_type = IssueType.NOT_FOUND
    spine_code = SpineCode.RESOURCE_NOT_FOUND
    severity = Severity.INFORMATION


class UnsupportedRequest(FHIRError):
    """An unknown path: PDS answers UNSUPPORTED_REQUEST; we keep FHIR's 404."""

    status_code = 404
    issue_type = IssueType.NOT_SUPPORTED
    spine_code = SpineCode.UNSUPPORTED_REQUEST


class MethodNotAllowed(FHIRError):
    status_code = 405
    issue_type = IssueType.NOT_SUPPORTED
    spine_code = SpineCode.METHOD_NOT_ALLOWED


class NotAcceptable(FHIRError):
    status_code = 406
    issue_type = IssueType.NOT_SUPPORTED
    spine_code = SpineCode.NOT_ACCEPTABLE


class VersionConflict(FHIRError):
    status_code = 409
    issue_type = IssueType.CONFLICT
    spine_code = SpineCode.RESOURCE_VERSION_MISMATCH


class PreconditionFailed(FHIRError):
    status_code = 412
    issue_type = IssueType.STRUCTURE
    spine_code = SpineCode.PRECONDITION_FAILED


class UnsupportedMediaType(FHIRError):
    status_code = 415
    issue_type = IssueType.NOT_SUPPORTED
    spine_code = SpineCode.UNSUPPORTED_MEDIA_TYPE


class BusinessRuleViolation(FHIRError):
    status_code = 422
    issue_type = IssueType.BUSINESS_RULE


class TooManyRequests(FHIRError):
    status_code = 429
    issue_type = IssueType.THROTTLED
    spine_code = SpineCode.TOO_MANY_REQUESTS

    def __init__(self, retry_after_seconds: int, diagnostics: str | None = None) -> None:
        super().__init__(
            diagnostics or f"Rate limit exceeded; retry after {retry_after_seconds} s",
            headers={"Retry-After": str(retry_after_seconds)},
        )


class ServiceUnavailable(FHIRError):
    status_code = 503
    issue_type = IssueType.TRANSIENT
    spine_code = SpineCode.SERVICE_UNAVAILABLE

    def __init__(self, diagnostics: str, retry_after_seconds: int = 5) -> None:
        super().__init__(diagnostics, headers={"Retry-After": str(retry_after_seconds)})


class InternalError(FHIRError):
    status_code = 500
    issue_type = IssueType.EXCEPTION
    spine_code = SpineCode.UNKNOWN_ERROR
    severity = Severity.FATAL
