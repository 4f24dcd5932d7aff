"""Exception handlers: every error leaves the gateway as an OperationOutcome.

FastAPI's default 422 body is replaced by a 400 naming each invalid field;
routing errors (404, 405) keep their status with a FHIR body. Unexpected
exceptions are handled by `RequestContextMiddleware`, which knows the request id.
"""

from typing import Any

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import Response

from app.fhir.errors import (
    FHIRError,
    InvalidValue,
    MethodNotAllowed,
    UnsupportedRequest,
)
from app.fhir.responses import FHIRResponse
from cci_common.operation_outcome import IssueType, Severity, SpineCode, issue, operation_outcome


def render(error: FHIRError) -> FHIRResponse:
    return FHIRResponse(
        error.to_operation_outcome(), status_code=error.status_code, headers=error.headers
    )


def _location(loc: tuple[Any, ...]) -> str:
    where, *path = loc
    return ".".join([str(where), *map(str, path)]) if path else str(where)


async def handle_fhir_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, FHIRError)  # noqa: S101 - registered for FHIRError only
    return render(exc)


async def handle_validation_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)  # noqa: S101
    issues = [
        issue(
            severity=Severity.ERROR,
            code=IssueType.REQUIRED if err.get("type") == "missing" else IssueType.VALUE,
            spine_code=(
                SpineCode.MISSING_VALUE if err.get("type") == "missing" else SpineCode.INVALID_VALUE
            ),
            diagnostics=f"{_location(tuple(err['loc']))}: {err['msg']}",
            expression=[_location(tuple(err["loc"]))],
        )
        for err in exc.errors()
    ] or [issue(severity=Severity.ERROR, code=IssueType.INVALID, diagnostics="Invalid request")]
    return FHIRResponse(operation_outcome(*issues), status_code=400)


async def handle_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)  # noqa: S101
    if exc.status_code == 404:
        return render(UnsupportedRequest(f"Unsupported path - '{request.url.path}'"))
    if exc.status_code == 405:
        allowed = (exc.headers or {}).get("Allow")
        error = MethodNotAllowed(
            f"Method {request.method} is not allowed on '{request.url.path}'",
            headers={"Allow": allowed} if allowed else None,
        )
        return render(error)
    generic = InvalidValue(str(exc.detail) if exc.status_code < 500 else "Request failed")
    generic.headers = dict(exc.headers or {})
    response = render(generic)
    response.status_code = exc.status_code
    return response


def install_exception_handlers(app: FastAPI) -> None:
    app.add_exception_handler(FHIRError, handle_fhir_error)
    app.add_exception_handler(RequestValidationError, handle_validation_error)
    app.add_exception_handler(StarletteHTTPException, handle_http_error)
