"""X-Request-ID / X-Correlation-ID handling (as the NHS APIs do) and the last-resort 500.

A pure ASGI middleware: it validates or generates the request id, binds both ids
into every log line, echoes them on every response, and turns any exception that
escaped the handlers into an OperationOutcome that says nothing internal.
"""

import traceback
import uuid
from typing import Any

import orjson
import structlog
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.db import database_unavailable
from app.fhir.errors import FHIRError, InternalError, InvalidValue, ServiceUnavailable
from app.fhir.responses import FHIR_JSON_UTF8

REQUEST_ID_HEADER = "X-Request-ID"
CORRELATION_ID_HEADER = "X-Correlation-ID"
MAX_CORRELATION_ID = 200

log = structlog.get_logger("app.request")


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return len(value) == 36


def _where(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    return f"{frames[-1].filename}:{frames[-1].lineno}" if frames else "unknown"


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        supplied = headers.get(REQUEST_ID_HEADER)
        correlation_id = (headers.get(CORRELATION_ID_HEADER) or "")[:MAX_CORRELATION_ID] or None
        request_id = supplied if supplied and _is_uuid(supplied) else str(uuid.uuid4())
        scope.setdefault("state", {})["request_id"] = request_id
        scope["state"]["correlation_id"] = correlation_id
        echo = {REQUEST_ID_HEADER: request_id}
        if correlation_id:
            echo[CORRELATION_ID_HEADER] = correlation_id

        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(
            request_id=request_id, correlation_id=correlation_id, method=scope["method"]
        )
        response_started = False

        async def send_with_ids(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
                mutable = MutableHeaders(scope=message)
                for name, value in echo.items():
                    mutable[name] = value
            await send(message)

        if supplied is not None and not _is_uuid(supplied):
            error = InvalidValue(
                f"Invalid value - '{supplied[:64]}' in header '{REQUEST_ID_HEADER}'",
                expression=[f"header.{REQUEST_ID_HEADER}"],
            )
            await _send_error(send_with_ids, error)
            return
        try:
            await self.app(scope, receive, send_with_ids)
        except Exception as exc:
            # Type and location only: exception messages can quote request data.
            log.error("request.unhandled_exception", exc_type=type(exc).__name__, where=_where(exc))
            if response_started:
                raise
            failure: FHIRError = InternalError("An unexpected error occurred")
            if database_unavailable(exc):
                failure = ServiceUnavailable("The gateway's database is unavailable; retry later")
            await _send_error(send_with_ids, failure)


async def _send_error(send: Send, error: FHIRError) -> None:
    body = orjson.dumps(error.to_operation_outcome())
    headers: list[tuple[bytes, bytes]] = [
        (b"content-type", FHIR_JSON_UTF8.encode()),
        (b"content-length", str(len(body)).encode()),
    ]
    headers.extend((k.lower().encode(), v.encode()) for k, v in error.headers.items())
    start: dict[str, Any] = {"type": "http.response.start", "status": error.status_code}
    start["headers"] = headers
    await send(start)
    await send({"type": "http.response.body", "body": body})
