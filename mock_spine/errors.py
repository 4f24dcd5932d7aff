"""Spine errors as FHIR OperationOutcomes, with the codes and diagnostics PDS publishes."""

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from cci_common.logging import get_logger
from cci_common.operation_outcome import IssueType, Severity, SpineCode, issue, operation_outcome
from mock_spine.responses import fhir_response

log = get_logger(__name__)


class SpineError(Exception):
    status = 400
    severity = Severity.ERROR

    def __init__(
        self,
        code: IssueType,
        spine_code: SpineCode,
        diagnostics: str | None = None,
        *,
        status: int | None = None,
        severity: Severity | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(spine_code.value)
        self.code = code
        self.spine_code = spine_code
        self.diagnostics = diagnostics
        self.status = status or self.status
        self.severity = severity or self.severity
        self.headers = headers or {}

    def outcome(self) -> dict[str, Any]:
        return operation_outcome(
            issue(
                severity=self.severity,
                code=self.code,
                spine_code=self.spine_code,
                diagnostics=self.diagnostics,
            )
        )

    def response(self) -> Response:
        return fhir_response(self.outcome(), status=self.status, headers=self.headers)


def invalid_value(value: str, field: str, *, where: str = "field") -> SpineError:
    return SpineError(
        IssueType.VALUE, SpineCode.INVALID_VALUE, f"Invalid value - '{value}' in {where} '{field}'"
    )


def invalid_search_data(reason: str) -> SpineError:
    return SpineError(
        IssueType.VALUE,
        SpineCode.INVALID_SEARCH_DATA,
        f"Invalid search data provided - '{reason}'",
    )


def unsupported_service() -> SpineError:
    return SpineError(IssueType.PROCESSING, SpineCode.UNSUPPORTED_SERVICE)


def unsupported_request(path: str) -> SpineError:
    return SpineError(
        IssueType.VALUE, SpineCode.UNSUPPORTED_REQUEST, f"Unsupported path - '{path}'"
    )


def install_exception_handlers(app: FastAPI, base_path: str) -> None:
    async def spine_error(_request: Request, exc: Exception) -> Response:
        return exc.response() if isinstance(exc, SpineError) else await unexpected(_request, exc)

    async def http_error(request: Request, exc: Exception) -> Response:
        if isinstance(exc, StarletteHTTPException) and exc.status_code == 405:
            # PDS answers methods it does not offer (e.g. PUT /Patient/{id}) as Unsupported Service.
            return unsupported_service().response()
        path = request.url.path
        relative = path[len(base_path) :] if path.startswith(base_path) else path
        return unsupported_request(relative or "/").response()

    async def validation_error(_request: Request, exc: Exception) -> Response:
        return SpineError(IssueType.INVALID, SpineCode.INVALID_VALUE, "Invalid request").response()

    async def unexpected(_request: Request, exc: Exception) -> Response:
        # The type only: a traceback can quote the record being served.
        log.error("spine.unexpected_error", error=type(exc).__name__)
        return SpineError(IssueType.EXCEPTION, SpineCode.UNKNOWN_ERROR, status=500).response()

    app.add_exception_handler(SpineError, spine_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(Exception, unexpected)
