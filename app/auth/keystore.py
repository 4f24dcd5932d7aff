"""The gateway's signing keys in this process: loaded from the database at start-up,
created on first use, reloaded after a rotation (`cci signing-keys rotate`)."""

import asyncio
import time
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.auth import repository
from app.auth.tokens import SigningKeys, generate_signing_key

# Other instances learn of a rotation when they next sign (at most this stale) or
# when they see a token whose kid they do not know.
RELOAD_AFTER_SECONDS = 60.0
MIN_RELOAD_INTERVAL_SECONDS = 5.0
MAX_HELD_ONLY = 2


class KeyStore:
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self._sessionmaker = sessionmaker
        self._keys: SigningKeys | None = None
        self._loaded_at = 0.0
        self._lock = asyncio.Lock()

    @property
    def keys(self) -> SigningKeys:
        if self._keys is None:
            raise RuntimeError("KeyStore.load() runs in the application lifespan")
        return self._keys

    async def load(self) -> SigningKeys:
        async with self._lock, self._sessionmaker() as session:
            stored = await repository.signing_keys(session)
            if not stored:
                # First start, or the table was emptied: keep signing with what we hold.
                held = self._held() or [_new_key()]
                for jwk in reversed(held):
                    await repository.add_signing_key(session, str(jwk["kid"]), jwk)
                await session.commit()
                stored = held
            # Keys this process signed with that the database no longer holds still
            # verify here until they age out: their tokens live ten minutes at most.
            known = {jwk["kid"] for jwk in stored}
            held_only = [jwk for jwk in self._held() if jwk["kid"] not in known]
            self._keys = SigningKeys(stored + held_only[:MAX_HELD_ONLY])
            self._loaded_at = time.monotonic()
            return self._keys

    def _held(self) -> list[dict[str, Any]]:
        return self._keys.private_jwks() if self._keys else []

    async def reload_if_older_than(self, seconds: float) -> bool:
        if time.monotonic() - self._loaded_at < seconds:
            return False
        await self.load()
        return True


def _new_key() -> dict[str, Any]:
    return dict(generate_signing_key().as_dict(private=True))


async def rotate(session: AsyncSession) -> str:
    """Add a new signing key (it signs from now on); returns its kid."""
    key = generate_signing_key()
    await repository.add_signing_key(session, str(key.kid), key.as_dict(private=True))
    return str(key.kid)
