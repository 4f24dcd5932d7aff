"""Delivers outbox notifications to LA rest-hook endpoints: retries with exponential
backoff (full jitter), dead letter after the configured attempts (see `outbox` for the
claim protocol that makes a killed worker lose nothing).

Runs as `cci worker` or inside `cci serve`; any number may run at once.
"""

import asyncio
import contextlib
import secrets
from dataclasses import dataclass

import httpx
import orjson
import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.cpis import outbox
from app.cpis.outbox import Claimed
from app.settings import Settings

log = structlog.get_logger("app.cpis.worker")
_jitter = secrets.SystemRandom()


@dataclass(frozen=True, slots=True)
class Policy:
    max_attempts: int
    backoff_base: float
    backoff_max: float
    timeout: float
    lease: float
    poll: float
    batch_size: int

    @classmethod
    def from_settings(cls, settings: Settings) -> "Policy":
        timeout = settings.cpis_delivery_timeout_seconds
        return cls(
            max_attempts=settings.cpis_delivery_max_attempts,
            backoff_base=settings.cpis_delivery_backoff_base_seconds,
            backoff_max=settings.cpis_delivery_backoff_max_seconds,
            timeout=timeout,
            # The lease must outlast the HTTP timeout, or a slow delivery is sent twice.
            lease=max(settings.cpis_delivery_lease_seconds, timeout + 1),
            poll=settings.cpis_worker_poll_seconds,
            batch_size=settings.cpis_worker_batch_size,
        )

    def retry_in(self, attempts: int) -> float | None:
        """Seconds until the next attempt after `attempts` failures; None = dead letter."""
        if attempts >= self.max_attempts:
            return None
        ceiling = min(self.backoff_max, self.backoff_base * 2 ** (attempts - 1))
        return _jitter.uniform(ceiling / 2, ceiling)


def _request(claim: Claimed) -> tuple[bytes, dict[str, str]]:
    headers = {"Idempotency-Key": str(claim.notification_id)}
    for header in claim.headers:
        name, _, value = header.partition(":")
        headers[name.strip()] = value.strip()
    if claim.payload:
        headers["Content-Type"] = claim.payload
        return orjson.dumps(claim.resource), headers
    return b"", headers  # FHIR R4: no payload means an empty ping; the LA reads the feed


async def _send(http: httpx.AsyncClient, claim: Claimed, policy: Policy) -> tuple[int | None, str]:
    body, headers = _request(claim)
    try:
        response = await http.post(
            claim.endpoint, content=body, headers=headers, timeout=policy.timeout
        )
    except httpx.HTTPError as exc:
        return None, type(exc).__name__
    return response.status_code, f"HTTP {response.status_code}"


async def deliver_one(
    sessionmaker: async_sessionmaker[AsyncSession],
    http: httpx.AsyncClient,
    claim: Claimed,
    policy: Policy,
) -> bool:
    status, error = await _send(http, claim, policy)
    async with sessionmaker() as session, session.begin():
        if status is not None and 200 <= status < 300:
            await outbox.mark_delivered(session, claim, status)
            log.info("cpis.delivered", delivery_id=claim.delivery_id, attempts=claim.attempts)
            return True
        retry = policy.retry_in(claim.attempts)
        await outbox.mark_failed(
            session, claim, status_code=status, error=error, retry_in_seconds=retry
        )
    event = "cpis.delivery_dead_lettered" if retry is None else "cpis.delivery_failed"
    log.warning(event, delivery_id=claim.delivery_id, attempts=claim.attempts, error=error)
    return False


async def run_once(
    sessionmaker: async_sessionmaker[AsyncSession], http: httpx.AsyncClient, policy: Policy
) -> int:
    """Claim and deliver one batch of due deliveries; returns how many were claimed."""
    async with sessionmaker() as session, session.begin():
        claims = await outbox.claim_due(
            session, limit=policy.batch_size, lease_seconds=policy.lease
        )
    if claims:
        await asyncio.gather(*(deliver_one(sessionmaker, http, c, policy) for c in claims))
    return len(claims)


async def run_worker(
    sessionmaker: async_sessionmaker[AsyncSession],
    policy: Policy,
    stopping: asyncio.Event,
    *,
    http: httpx.AsyncClient | None = None,
) -> None:
    """Deliver until `stopping` is set; polls every `policy.poll` s when there is nothing due."""
    client = http or httpx.AsyncClient(follow_redirects=False)
    log.info("cpis.worker_started")
    try:
        while not stopping.is_set():
            try:
                claimed = await run_once(sessionmaker, client, policy)
            except Exception as exc:  # a database blip must not end the worker
                log.error("cpis.worker_error", error=type(exc).__name__)
                claimed = 0
            if claimed < policy.batch_size:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stopping.wait(), timeout=policy.poll)
    finally:
        if http is None:
            await client.aclose()
        log.info("cpis.worker_stopped")
