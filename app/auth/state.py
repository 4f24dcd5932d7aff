"""Per-application auth state, created in the lifespan and kept on `app.state.auth`."""

import time
from dataclasses import dataclass

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.auth.keystore import KeyStore
from app.auth.models import ClientStatus
from app.auth.rate_limit import RateLimiter
from app.settings import Settings

TOKEN_PATH = "/oauth2/token"  # noqa: S105 - a path


class StatusCache:
    """Client status per process for a few seconds: a suspension reaches every instance
    within `ttl` seconds without a database round trip on every request."""

    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self._seen: dict[str, tuple[ClientStatus | None, float]] = {}

    def get(self, client_id: str) -> tuple[bool, ClientStatus | None]:
        hit = self._seen.get(client_id)
        if hit is None or time.monotonic() - hit[1] >= self.ttl:
            return False, None
        return True, hit[0]

    def put(self, client_id: str, status: ClientStatus | None) -> None:
        if self.ttl > 0:
            self._seen[client_id] = (status, time.monotonic())


@dataclass(slots=True)
class AuthState:
    keystore: KeyStore
    limiter: RateLimiter
    statuses: StatusCache
    issuer: str  # the gateway's base URL: token `iss` and `aud` (one service, one audience)
    token_url: str  # the only audience accepted in client assertions

    @property
    def audience(self) -> str:
        return self.issuer


async def start_auth(
    settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]
) -> AuthState:
    keystore = KeyStore(sessionmaker)
    await keystore.load()
    return AuthState(
        keystore=keystore,
        limiter=RateLimiter(settings.rate_limits),
        statuses=StatusCache(settings.client_status_cache_seconds),
        issuer=settings.base_url,
        token_url=settings.base_url + TOKEN_PATH,
    )


def auth_state(request: Request) -> AuthState:
    state: AuthState = request.app.state.auth
    return state
