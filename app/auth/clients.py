"""Client registry rules: register a system for an organisation and role, suspend it,
rotate its keys. Used by `cci clients ...`, development start-up and the tests."""

import uuid
from typing import Any, cast

from joserfc.jwk import ECKey, Key, KeySet, RSAKey
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import repository
from app.auth.client_assertion import ALLOWED_ALGORITHMS
from app.auth.models import ClientStatus, OAuthClient
from app.auth.scopes import ROLE_SCOPES, AgencyRole, satisfies


class RegistryError(ValueError):
    """A registration the rules refuse; the message is fit for an operator."""


def generate_client_key(alg: str = "RS384") -> Key:
    """A private key for a client (the client keeps it; we store the public half)."""
    if alg not in ALLOWED_ALGORITHMS:
        raise RegistryError(f"alg must be one of {', '.join(ALLOWED_ALGORITHMS)}")
    key: Key
    if alg == "ES384":
        key = ECKey.generate_key("P-384", parameters={"alg": alg, "use": "sig"}, private=True)
    else:
        key = RSAKey.generate_key(3072, parameters={"alg": alg, "use": "sig"}, private=True)
    key.ensure_kid()
    return key


def public_jwks(jwks: dict[str, Any]) -> dict[str, Any]:
    """Only public keys, each with a kid; refuses private material and unusable keys."""
    try:
        keyset = KeySet.import_key_set(cast(Any, jwks))
    except Exception as exc:  # joserfc raises several types for a malformed set
        raise RegistryError(f"not a usable JWKS: {type(exc).__name__}") from None
    if not keyset.keys:
        raise RegistryError("the JWKS holds no keys")
    keys = []
    for key in keyset.keys:
        if key.is_private:
            raise RegistryError("the JWKS holds a private key: register the public key only")
        if key.key_type not in ("RSA", "EC"):
            raise RegistryError("keys must be RSA or EC")
        key.ensure_kid()
        keys.append(key.as_dict(private=False))
    return {"keys": keys}


async def register(
    session: AsyncSession,
    *,
    role: AgencyRole,
    ods_code: str,
    organisation_name: str,
    jwks: dict[str, Any],
    scopes: frozenset[str] | None = None,
    client_id: str | None = None,
) -> OAuthClient:
    allowed = frozenset(ROLE_SCOPES[role])
    granted = allowed if scopes is None else scopes
    beyond = [scope for scope in granted if not satisfies(allowed, scope)]
    if beyond:
        raise RegistryError(f"the {role} role may not hold {' '.join(sorted(beyond))}")
    ods = ods_code.strip().upper()
    if not ods.isalnum() or not 3 <= len(ods) <= 10:
        raise RegistryError("ODS code must be 3 to 10 letters or digits")
    client = OAuthClient(
        id=client_id or str(uuid.uuid4()),
        ods_code=ods,
        organisation_name=organisation_name.strip(),
        role=role,
        scopes=sorted(granted),
        status=ClientStatus.ACTIVE,
        jwks=public_jwks(jwks),
    )
    return await repository.add_client(session, client)


async def add_key(session: AsyncSession, client_id: str, new_jwks: dict[str, Any]) -> int:
    """Add keys beside the current ones (a rotation's overlap); returns how many are held."""
    client = await repository.get_client(session, client_id)
    if client is None:
        raise RegistryError(f"no client {client_id}")
    added = public_jwks(new_jwks)["keys"]
    new_kids = {key["kid"] for key in added}
    keys = [key for key in client.jwks["keys"] if key["kid"] not in new_kids] + added
    await repository.set_jwks(session, client_id, {"keys": keys})
    return len(keys)


async def retire_keys(session: AsyncSession, client_id: str, keep_kid: str) -> None:
    """Drop every key but `keep_kid` once the client signs with the new one."""
    client = await repository.get_client(session, client_id)
    if client is None:
        raise RegistryError(f"no client {client_id}")
    keys = [key for key in client.jwks["keys"] if key["kid"] == keep_kid]
    if not keys:
        raise RegistryError(f"client {client_id} has no key {keep_kid}")
    await repository.set_jwks(session, client_id, {"keys": keys})


async def set_status(session: AsyncSession, client_id: str, status: ClientStatus) -> None:
    if not await repository.set_status(session, client_id, status):
        raise RegistryError(f"no client {client_id}")
