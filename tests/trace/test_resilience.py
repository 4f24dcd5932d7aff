"""Circuit breaker and rate limiter with a fake clock."""

import pytest

from app.fhir.errors import ServiceUnavailable
from app.trace.resilience import BreakerState, CircuitBreaker, RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_rate_limiter_spaces_requests_at_the_configured_rate() -> None:
    clock = Clock()
    limiter = RateLimiter(5.0, burst=1, clock=clock)
    waits = [limiter.reserve(deadline=clock.now + 10) for _ in range(5)]
    assert waits == pytest.approx([0.0, 0.2, 0.4, 0.6, 0.8])


def test_rate_limiter_allows_a_burst_then_paces() -> None:
    clock = Clock()
    limiter = RateLimiter(5.0, burst=5, clock=clock)
    waits = [limiter.reserve(deadline=clock.now + 10) for _ in range(7)]
    assert waits[:5] == pytest.approx([0.0] * 5)
    assert waits[5:] == pytest.approx([0.2, 0.4])


def test_rate_limiter_refuses_a_slot_past_the_deadline() -> None:
    clock = Clock()
    limiter = RateLimiter(1.0, clock=clock)
    limiter.reserve(deadline=clock.now + 1)
    with pytest.raises(ServiceUnavailable):
        limiter.reserve(deadline=clock.now + 0.5)
    clock.now += 1
    assert limiter.reserve(deadline=clock.now) == 0.0


def test_unlimited_rate_never_waits() -> None:
    limiter = RateLimiter(0)
    assert all(limiter.reserve(deadline=0) == 0.0 for _ in range(100))


def test_breaker_half_open_lets_one_trial_through() -> None:
    clock = Clock()
    breaker = CircuitBreaker(threshold=2, reset_seconds=5, clock=clock)
    breaker.record_failure()
    states = [breaker.state]
    breaker.record_failure()
    states.append(breaker.state)
    assert states == [BreakerState.CLOSED, BreakerState.OPEN]
    with pytest.raises(ServiceUnavailable):
        breaker.before_call()
    clock.now += 5
    breaker.before_call()  # the trial
    with pytest.raises(ServiceUnavailable):
        breaker.before_call()  # everyone else waits for its verdict
    breaker.record_failure()
    assert breaker.state is BreakerState.OPEN
    clock.now += 5
    breaker.before_call()
    breaker.record_success()
    assert breaker.state.value == "closed"
    breaker.before_call()


def test_breaker_success_resets_the_failure_count() -> None:
    breaker = CircuitBreaker(threshold=2, reset_seconds=5)
    breaker.record_failure()
    breaker.record_success()
    breaker.record_failure()
    assert breaker.state is BreakerState.CLOSED
