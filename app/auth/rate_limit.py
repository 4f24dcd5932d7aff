"""Per-client token buckets (rate and burst configurable per agency role).

In-process: each gateway instance limits independently, so behind N instances a
client gets at most N times its rate. A shared limiter (PostgreSQL or Redis)
is the next step at national scale; the interface stays the same.
"""

import math
import time
from dataclasses import dataclass

from pydantic import BaseModel, Field

from app.auth.scopes import AgencyRole


class RateLimit(BaseModel):
    per_second: float = Field(gt=0, description="Sustained requests per second")
    burst: int = Field(ge=1, description="Requests allowed at once after an idle spell")


DEFAULT_RATE_LIMITS: dict[AgencyRole, RateLimit] = {
    AgencyRole.SOCIAL_CARE: RateLimit(per_second=20, burst=100),
    AgencyRole.HEALTH_UNSCHEDULED: RateLimit(per_second=20, burst=50),
    AgencyRole.HEALTH_SCHEDULED: RateLimit(per_second=10, burst=50),
    AgencyRole.EDUCATION: RateLimit(per_second=5, burst=20),
    AgencyRole.POLICE: RateLimit(per_second=5, burst=20),
    AgencyRole.ADMIN: RateLimit(per_second=5, burst=20),
}


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    def __init__(self, limits: dict[AgencyRole, RateLimit]) -> None:
        self._limits = {**DEFAULT_RATE_LIMITS, **limits}
        self._buckets: dict[str, _Bucket] = {}

    def acquire(self, client_id: str, role: AgencyRole) -> int | None:
        """None when the request may proceed, else the seconds to wait (Retry-After)."""
        limit = self._limits[role]
        now = time.monotonic()
        bucket = self._buckets.get(client_id)
        if bucket is None:
            bucket = self._buckets[client_id] = _Bucket(float(limit.burst), now)
        bucket.tokens = min(limit.burst, bucket.tokens + (now - bucket.updated) * limit.per_second)
        bucket.updated = now
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return None
        return max(1, math.ceil((1 - bucket.tokens) / limit.per_second))
