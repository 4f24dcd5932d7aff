"""All SQL of the client registry, the assertion replay store and the signing keys."""

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.models import ClientStatus, OAuthClient, SigningKey, UsedAssertion

# Keys kept after a rotation: the new one signs, the older ones verify tokens already issued.
SIGNING_KEYS_KEPT = 3


async def get_client(session: AsyncSession, client_id: str) -> OAuthClient | None:
    return await session.get(OAuthClient, client_id)


async def client_status(session: AsyncSession, client_id: str) -> ClientStatus | None:
    stmt = select(OAuthClient.status).where(OAuthClient.id == client_id)
    status: ClientStatus | None = await session.scalar(stmt)
    return status


async def list_clients(session: AsyncSession) -> Sequence[OAuthClient]:
    stmt = select(OAuthClient).order_by(OAuthClient.role, OAuthClient.created_at)
    return (await session.scalars(stmt)).all()


async def add_client(session: AsyncSession, client: OAuthClient) -> OAuthClient:
    session.add(client)
    await session.flush()
    return client


async def set_status(session: AsyncSession, client_id: str, status: ClientStatus) -> bool:
    stmt = update(OAuthClient).where(OAuthClient.id == client_id).values(status=status)
    result = await session.execute(stmt)
    return bool(getattr(result, "rowcount", 0))


async def set_jwks(session: AsyncSession, client_id: str, jwks: dict[str, Any]) -> None:
    stmt = update(OAuthClient).where(OAuthClient.id == client_id).values(jwks=jwks)
    await session.execute(stmt)


async def consume_assertion(
    session: AsyncSession, client_id: str, jti: str, expires_at: datetime
) -> bool:
    """False when this client already used this `jti` (a replay). Prunes expired ids."""
    await session.execute(
        delete(UsedAssertion).where(
            UsedAssertion.client_id == client_id, UsedAssertion.expires_at < datetime.now(UTC)
        )
    )
    stmt = (
        pg_insert(UsedAssertion)
        .values(client_id=client_id, jti=jti, expires_at=expires_at)
        .on_conflict_do_nothing()
        .returning(UsedAssertion.jti)
    )
    return (await session.scalar(stmt)) is not None


async def signing_keys(session: AsyncSession) -> list[dict[str, Any]]:
    """Private JWKs, newest first."""
    stmt = select(SigningKey.private_jwk).order_by(
        SigningKey.created_at.desc(), SigningKey.kid.desc()
    )
    return list((await session.scalars(stmt)).all())


async def add_signing_key(session: AsyncSession, kid: str, private_jwk: dict[str, Any]) -> None:
    stmt = (
        pg_insert(SigningKey)
        .values(kid=kid, private_jwk=private_jwk, created_at=datetime.now(UTC))
        .on_conflict_do_nothing()
    )
    await session.execute(stmt)
    kept = (
        select(SigningKey.kid)
        .order_by(SigningKey.created_at.desc(), SigningKey.kid.desc())
        .limit(SIGNING_KEYS_KEPT)
    )
    await session.execute(delete(SigningKey).where(SigningKey.kid.not_in(kept)))
