"""Per-application auth state, created in the lifespan and kept on `app.state.auth`."""

from dataclasses import dataclass

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.auth.keystore import KeyStore
from app.auth.rate_limit import RateLimiter
from app.settings import Settings

TOKEN_PATH = "/oauth2/token"  # noqa: S105 - a path


@dataclass(slots=True)
class AuthState:
    keystore: KeyStore
    limiter: RateLimiter
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
        issuer=settings.base_url,
        token_url=settings.base_url + TOKEN_PATH,
    )


def auth_state(request: Request) -> AuthState:
    state: AuthState = request.app.state.auth
    return state
