"""Outbound protection for the Spine: a circuit breaker and a GCRA rate limiter.

PDS allows about 5 TPS per application by default and answers 429 above it; we
pace ourselves below that rather than rely on its 429s, and stop calling a Spine
that keeps failing so callers get a fast 503 instead of a slow one.
"""

import asyncio
import math
import time
from collections.abc import Callable
from enum import StrEnum

from app.fhir.errors import ServiceUnavailable

Clock = Callable[[], float]


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half-open"


class CircuitBreaker:
    """Opens after `threshold` consecutive failed calls; one trial call after `reset_seconds`."""

    def __init__(self, threshold: int, reset_seconds: float, clock: Clock = time.monotonic) -> None:
        self.threshold = threshold
        self.reset_seconds = reset_seconds
        self._clock = clock
        self._failures = 0
        self._opened_at: float | None = None
        self._trial_in_flight = False

    @property
    def state(self) -> BreakerState:
        if self._opened_at is None:
            return BreakerState.CLOSED
        if self._clock() - self._opened_at >= self.reset_seconds:
            return BreakerState.HALF_OPEN
        return BreakerState.OPEN

    def before_call(self) -> None:
        """Raise ServiceUnavailable while open; let exactly one trial through when half-open."""
        state = self.state
        if state is BreakerState.CLOSED:
            return
        if state is BreakerState.HALF_OPEN and not self._trial_in_flight:
            self._trial_in_flight = True
            return
        assert self._opened_at is not None  # noqa: S101 - open or half-open means opened
        remaining = self.reset_seconds - (self._clock() - self._opened_at)
        raise ServiceUnavailable(
            "The Spine is unavailable (circuit open after repeated failures)",
            retry_after_seconds=max(1, math.ceil(remaining)),
        )

    def record_success(self) -> None:
        self._failures = 0
        self._opened_at = None
        self._trial_in_flight = False

    def record_failure(self) -> None:
        self._failures += 1
        if self._trial_in_flight or self._failures >= self.threshold:
            self._opened_at = self._clock()
        self._trial_in_flight = False

    def release_trial(self) -> None:
        """A trial call that ended without a verdict (e.g. cancelled) frees the slot."""
        self._trial_in_flight = False


class RateLimiter:
    """Generic cell rate algorithm: at most `rate` starts per second, bursts of `burst`.

    A caller reserves the next slot and sleeps until it; if that slot lies past the
    caller's deadline it is refused at once, so a queue never turns into a hang.
    """

    def __init__(self, rate: float, burst: int = 1, clock: Clock = time.monotonic) -> None:
        self.rate = rate
        self._interval = 1.0 / rate if rate > 0 else 0.0
        self._tolerance = (max(burst, 1) - 1) * self._interval
        self._clock = clock
        self._tat = 0.0  # theoretical arrival time of the next request

    def reserve(self, deadline: float) -> float:
        """Seconds to wait before the reserved slot; raises if it would miss `deadline`."""
        if self._interval == 0.0:
            return 0.0
        now = self._clock()
        start = max(self._tat - self._tolerance, now)
        if start > deadline:
            raise ServiceUnavailable(
                "The Spine request rate limit is saturated; try again shortly",
                retry_after_seconds=max(1, math.ceil(start - now)),
            )
        self._tat = max(self._tat, now) + self._interval
        return start - now

    async def acquire(self, deadline: float) -> None:
        wait = self.reserve(deadline)
        if wait > 0:
            await asyncio.sleep(wait)
