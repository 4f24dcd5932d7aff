"""X-Request-ID rules and fault injection, as pure ASGI middleware on the FHIR paths.

PDS requires a UUID X-Request-ID on every request and mirrors it (and any
X-Correlation-ID) back. Fault injection (added latency, a random error rate,
429 above a transactions-per-second limit) lets the gateway's resilience tests
exercise what a real Spine does on a bad day; all off by default.
"""

import asyncio
import random as random_module
import re
import time
from collections import deque
from dataclasses import dataclass, field

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cci_common.operation_outcome import IssueType, SpineCode
from mock_spine.errors import SpineError

REQUEST_ID = re.compile(
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
)
MISSING_REQUEST_ID = (
    "Invalid request with error - X-Request-ID header must be supplied to access this resource"
)


@dataclass
class Faults:
    """Runtime fault settings; `/_admin/faults` changes them on a running service."""

    latency_ms: int = 0
    error_rate: float = 0.0
    error_status: int = 500
    rate_limit_tps: float = 0.0
    rng: random_module.Random = field(default_factory=random_module.Random)
    recent: deque[float] = field(default_factory=deque)

    def over_limit(self, now: float) -> bool:
        if self.rate_limit_tps <= 0:
            return False
        while self.recent and now - self.recent[0] >= 1.0:
            self.recent.popleft()
        if len(self.recent) >= self.rate_limit_tps:
            return True
        self.recent.append(now)
        return False


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


def _fault(faults: Faults) -> SpineError | None:
    if faults.over_limit(time.monotonic()):
        return SpineError(
            IssueType.THROTTLED,
            SpineCode.TOO_MANY_REQUESTS,
            "Your app has exceeded its TPS limit (mock Spine fault injection)",
            status=429,
            headers={"Retry-After": "1"},
        )
    if faults.error_rate and faults.rng.random() < faults.error_rate:
        if faults.error_status == 503:
            return SpineError(
                IssueType.TIMEOUT,
                SpineCode.SERVICE_UNAVAILABLE,
                status=503,
                headers={"Retry-After": "1"},
            )
        return SpineError(IssueType.EXCEPTION, SpineCode.UNKNOWN_ERROR, status=faults.error_status)
    return None


def _access_denied(diagnostics: str) -> SpineError:
    return SpineError(IssueType.FORBIDDEN, SpineCode.ACCESS_DENIED, diagnostics, status=401)


def _check_authorization(value: str | None) -> SpineError | None:
    """As the sandbox: no token is fine, but one that is sent must be a Bearer token.

    The mock accepts any bearer token; it does not authenticate.
    """
    if value is None:
        return None
    if not value.strip():
        return _access_denied("Empty Authorization header")
    scheme, _, token = value.strip().partition(" ")
    if scheme.lower() != "bearer":
        return _access_denied(f"Invalid token type '{scheme}', must be 'Bearer'")
    if not token.strip():
        return _access_denied("Missing access token")
    return None


class SpineRequestMiddleware:
    def __init__(self, app: ASGIApp, *, fhir_prefix: str, faults: Faults) -> None:
        self.app = app
        self.fhir_prefix = fhir_prefix + "/Patient"
        self.faults = faults

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self.fhir_prefix):
            await self.app(scope, receive, send)
            return
        request_id = _header(scope, b"x-request-id")
        correlation_id = _header(scope, b"x-correlation-id")
        echoed: list[tuple[bytes, bytes]] = []
        if request_id is not None:
            echoed.append((b"x-request-id", request_id.encode("latin-1")))
        if correlation_id is not None:
            echoed.append((b"x-correlation-id", correlation_id.encode("latin-1")))

        async def send_with_ids(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = list(message.get("headers", [])) + echoed
            await send(message)

        error = (
            self._check_request_id(request_id)
            or _check_authorization(_header(scope, b"authorization"))
            or _fault(self.faults)
        )
        if self.faults.latency_ms:
            await asyncio.sleep(self.faults.latency_ms / 1000)
        if error is not None:
            await error.response()(scope, receive, send_with_ids)
            return
        await self.app(scope, receive, send_with_ids)

    @staticmethod
    def _check_request_id(request_id: str | None) -> SpineError | None:
        if request_id is None:
            return SpineError(IssueType.REQUIRED, SpineCode.MISSING_VALUE, MISSING_REQUEST_ID)
        if not REQUEST_ID.match(request_id):
            return SpineError(
                IssueType.VALUE,
                SpineCode.INVALID_VALUE,
                f"Invalid value - '{request_id}' in header 'X-Request-ID'",
            )
        return None
