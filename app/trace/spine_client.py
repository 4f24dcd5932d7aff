"""The only code that talks to the Spine (PDS FHIR R4 API, spec section A).

One pooled httpx transport per process, created in the lifespan. Every call
sends a fresh `X-Request-ID` (reused on its retries, as PDS asks) and our own
request id as `X-Correlation-ID`; it is paced by a rate limiter, bounded by a
concurrency limit and a deadline, retried with jittered backoff on 429/5xx
(honouring `Retry-After`), and guarded by a circuit breaker. Whatever the Spine
does, callers get a typed result or a FHIRError — 503 when it is down or slow —
never a hang and never a 500.
"""

import asyncio
import secrets
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
import structlog

from app.fhir.errors import InvalidResourceId, ServiceUnavailable
from app.settings import Settings
from app.trace.resilience import CircuitBreaker, RateLimiter
from app.trace.spine_errors import error_for_spine_response, spine_code_of
from app.trace.spine_models import (
    RetrieveResult,
    RetrieveStatus,
    SearchParams,
    SearchResult,
    SpinePatient,
)
from cci_common.identifiers import nhs_number
from cci_common.identifiers.nhs_number import NHSNumber

__all__ = [
    "RetrieveResult",
    "RetrieveStatus",
    "SearchParams",
    "SearchResult",
    "SpineAuth",
    "SpineClient",
    "SpinePatient",
    "static_bearer",
]

# An auth hook returns the headers to add (e.g. Authorization for PDS's signed-JWT
# token flow); it is called per attempt so it can refresh an expiring token.
SpineAuth = Callable[[], Awaitable[Mapping[str, str]]]
RETRYABLE_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
_jitter = secrets.SystemRandom()
log = structlog.get_logger("app.trace.spine")


def static_bearer(token: str) -> SpineAuth:
    async def headers() -> Mapping[str, str]:
        return {"Authorization": f"Bearer {token}"}

    return headers


_ACCEPT = ("Accept", "application/fhir+json")


class SpineClient:
    """Requests go straight to an httpx transport (the connection pool): none of
    `AsyncClient`'s layers (redirects, auth flows, cookies, event hooks) applies to the
    Spine, and they cost a fifth of each call's CPU. No cookie is ever kept, so no
    caller's cookie can ride on another caller's request."""

    def __init__(
        self,
        transport: httpx.AsyncBaseTransport,
        *,
        base_url: str,
        settings: Settings,
        auth: SpineAuth | None = None,
    ) -> None:
        self._transport = transport
        self._base_url = httpx.URL(base_url.rstrip("/") + "/")
        self._auth = auth
        self._deadline_seconds = settings.spine_deadline_seconds
        self._max_retries = settings.spine_max_retries
        self._backoff_base = settings.spine_backoff_base_seconds
        self._backoff_max = settings.spine_backoff_max_seconds
        self._read_timeout = settings.spine_read_timeout_seconds
        self._connect_timeout = settings.spine_connect_timeout_seconds
        self._concurrency = asyncio.Semaphore(settings.spine_max_concurrency)
        self.breaker = CircuitBreaker(
            settings.spine_breaker_failure_threshold, settings.spine_breaker_reset_seconds
        )
        # No burst: PDS counts requests per rolling second, so evenly spaced is safest.
        self.rate_limiter = RateLimiter(settings.spine_rate_limit_tps)

    @classmethod
    def from_settings(cls, settings: Settings) -> "SpineClient":
        """The client for the app's lifespan; close it with `aclose()`."""
        transport = httpx.AsyncHTTPTransport(
            limits=httpx.Limits(
                max_connections=settings.spine_max_concurrency,
                max_keepalive_connections=settings.spine_max_concurrency,
            ),
        )
        token = settings.spine_access_token
        auth = static_bearer(token.get_secret_value()) if token else None
        return cls(transport, base_url=settings.spine_base_url, settings=settings, auth=auth)

    async def aclose(self) -> None:
        await self._transport.aclose()

    async def retrieve(self, number: str, *, deadline: float | None = None) -> RetrieveResult:
        """`GET /Patient/{id}`: found (maybe under a new number), not found, or invalidated."""
        requested = nhs_number.parse(number)
        if requested is None:
            raise InvalidResourceId(expression=["Patient.id"])
        response = await self._get(f"Patient/{requested}", None, deadline)
        if response.status_code == 404:
            code = spine_code_of(response)
            status = (
                RetrieveStatus.INVALIDATED
                if code == "INVALIDATED_RESOURCE"
                else RetrieveStatus.NOT_FOUND
            )
            return RetrieveResult(requested, status)
        if response.status_code != 200:
            raise error_for_spine_response(response)
        body = _json(response)
        return RetrieveResult(requested, RetrieveStatus.FOUND, _patient(body))

    async def search(self, params: SearchParams, *, deadline: float | None = None) -> SearchResult:
        """`GET /Patient?...`: scored matches, highest first, or TOO_MANY_MATCHES."""
        response = await self._get("Patient", params.query(), deadline)
        if response.status_code != 200:
            raise error_for_spine_response(response)
        body = _json(response)
        if body.get("resourceType") == "OperationOutcome":
            # PDS answers too many matches with HTTP 200 and no partial list (spec A2).
            if spine_code_of(response) == "TOO_MANY_MATCHES":
                return SearchResult(too_many_matches=True)
            raise ServiceUnavailable("The Spine returned an unexpected search response")
        matches = []
        for entry in body.get("entry") or []:
            resource = entry.get("resource") if isinstance(entry, dict) else None
            if isinstance(resource, dict):
                score = (entry.get("search") or {}).get("score")
                score = float(score) if isinstance(score, int | float) else None
                matches.append(_patient(resource, score))
        matches.sort(key=lambda p: p.score or 0.0, reverse=True)
        return SearchResult(tuple(matches))

    async def ping(self) -> None:
        """Readiness: the Spine answers its `_ping`. Not rate limited, not retried."""
        response = await self._request("_ping", None, {}, self._timeout(self._read_timeout))
        if response.status_code >= 400:
            raise ServiceUnavailable(f"Spine _ping answered {response.status_code}")

    async def _get(
        self, path: str, query: list[tuple[str, str]] | None, deadline: float | None
    ) -> httpx.Response:
        own_deadline = time.monotonic() + self._deadline_seconds
        deadline = own_deadline if deadline is None else min(deadline, own_deadline)
        request_id = str(uuid.uuid4())
        self.breaker.before_call()
        verdict: bool | None = None
        try:
            async with asyncio.timeout_at(_loop_time(deadline)):
                response = await self._attempts(path, query, request_id, deadline)
            verdict = response.status_code not in RETRYABLE_STATUSES
            return _raise_if_transient(response)
        except TimeoutError:
            verdict = False
            log.warning("spine.deadline_exceeded", path=_path_kind(path))
            raise ServiceUnavailable("The Spine did not answer in time") from None
        except httpx.TransportError as exc:
            verdict = False
            log.warning("spine.transport_error", error=type(exc).__name__, path=_path_kind(path))
            raise ServiceUnavailable("The Spine could not be reached") from None
        finally:
            if verdict is True:
                self.breaker.record_success()
            elif verdict is False:
                self.breaker.record_failure()
            else:
                self.breaker.release_trial()

    async def _attempts(
        self, path: str, query: list[tuple[str, str]] | None, request_id: str, deadline: float
    ) -> httpx.Response:
        attempt = 0
        while True:
            await self.rate_limiter.acquire(deadline)
            try:
                async with self._concurrency:
                    response = await self._send(path, query, request_id, deadline)
            except httpx.TransportError:
                if attempt >= self._max_retries:
                    raise
                delay = self._backoff(attempt)
            else:
                if response.status_code not in RETRYABLE_STATUSES or attempt >= self._max_retries:
                    return response
                delay = _retry_after(response) or self._backoff(attempt)
            if time.monotonic() + delay >= deadline:
                raise TimeoutError
            log.info("spine.retry", attempt=attempt + 1, delay_ms=round(delay * 1000))
            await asyncio.sleep(delay)
            attempt += 1

    async def _send(
        self, path: str, query: list[tuple[str, str]] | None, request_id: str, deadline: float
    ) -> httpx.Response:
        headers = {"X-Request-ID": request_id}
        correlation = structlog.contextvars.get_contextvars().get("request_id")
        if isinstance(correlation, str):
            headers["X-Correlation-ID"] = correlation
        if self._auth is not None:
            headers.update(await self._auth())
        remaining = max(0.01, deadline - time.monotonic())
        timeout = self._timeout(min(self._read_timeout, remaining))
        return await self._request(path, query, headers, timeout)

    async def _request(
        self,
        path: str,
        query: list[tuple[str, str]] | None,
        headers: Mapping[str, str],
        limits: httpx.Timeout,
    ) -> httpx.Response:
        """One GET; `limits` are httpx's per-phase timeouts (the overall deadline is the
        caller's `asyncio.timeout_at`)."""
        url = self._base_url.join(path)
        if query:
            url = url.copy_merge_params(httpx.QueryParams(tuple(query)))
        sent = [_ACCEPT, *headers.items()]
        timeouts = {"timeout": limits.as_dict()}
        request = httpx.Request("GET", url, headers=sent, extensions=timeouts)
        response = await self._transport.handle_async_request(request)
        response.request = request
        try:
            await response.aread()
        finally:
            await response.aclose()
        return response

    def _timeout(self, read: float) -> httpx.Timeout:
        return httpx.Timeout(read, connect=min(self._connect_timeout, read))

    def _backoff(self, attempt: int) -> float:
        # "Full jitter": spreads retries from many gateways instead of synchronising them.
        return _jitter.uniform(0, min(self._backoff_max, self._backoff_base * 2**attempt))


def _raise_if_transient(response: httpx.Response) -> httpx.Response:
    if response.status_code in RETRYABLE_STATUSES:
        retry_after = _retry_after(response)
        log.warning("spine.unavailable", status=response.status_code)
        raise ServiceUnavailable(
            f"The Spine is unavailable (HTTP {response.status_code})",
            retry_after_seconds=max(1, round(retry_after or 5)),
        )
    return response


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise ServiceUnavailable("The Spine returned a response that is not FHIR JSON")
    return body


def _patient(resource: dict[str, Any], score: float | None = None) -> SpinePatient:
    number = nhs_number.parse(str(resource.get("id", "")))
    if resource.get("resourceType") != "Patient" or number is None:
        raise ServiceUnavailable("The Spine returned a Patient without a valid NHS number")
    return SpinePatient(NHSNumber(number), resource, score)


def _loop_time(deadline: float) -> float:
    # asyncio.timeout_at takes loop time; our deadlines are time.monotonic().
    return asyncio.get_running_loop().time() + (deadline - time.monotonic())


def _path_kind(path: str) -> str:
    # Never log the NHS number in the path.
    return "retrieve" if path.startswith("Patient/") else "search"
