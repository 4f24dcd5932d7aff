"""Gateway access tokens: JWTs per RFC 9068 (authlib's generator, joserfc underneath),
signed by gateway keys that rotate.

RS256 because every request verifies a token and RSA verification is about
twice as fast as ECDSA (issuance, once per client per ten minutes, pays for it).
The newest key signs; every key still in the database verifies, so tokens
signed before a rotation stay valid until they expire.
"""

import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from authlib.oauth2.rfc9068 import JWTBearerTokenGenerator
from joserfc import jwt
from joserfc.errors import ExpiredTokenError, InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet, RSAKey

from app.auth.models import OAuthClient
from app.auth.scopes import AgencyRole

ACCESS_TOKEN_ALG = "RS256"  # noqa: S105 - an algorithm name
ACCESS_TOKEN_LIFETIME_SECONDS = 600
ACCESS_TOKEN_TYPE = "at+jwt"  # noqa: S105 - RFC 9068 typ
RSA_KEY_BITS = 2048


def generate_signing_key() -> RSAKey:
    key = RSAKey.generate_key(
        RSA_KEY_BITS, parameters={"alg": ACCESS_TOKEN_ALG, "use": "sig"}, private=True
    )
    key.ensure_kid()  # RFC 7638 thumbprint
    return key


class SigningKeys:
    """The keys this process signs and verifies with, newest first, and the claims of the
    tokens they have verified (a reload builds a new instance, so a new cache)."""

    def __init__(self, private_jwks: list[dict[str, Any]]) -> None:
        if not private_jwks:
            raise ValueError("at least one signing key is needed")
        self._keys = [RSAKey.import_key(jwk) for jwk in private_jwks]
        self.signing = KeySet([self._keys[0]])
        self.verifying = KeySet.import_key_set(
            {"keys": [key.as_dict(private=False) for key in self._keys]}
        )
        self.verified = VerifiedTokens()

    @property
    def active_kid(self) -> str:
        return str(self._keys[0].kid)

    def private_jwks(self) -> list[dict[str, Any]]:
        return [key.as_dict(private=True) for key in self._keys]

    def public_jwks(self) -> dict[str, Any]:
        return {"keys": [key.as_dict(private=False) for key in self._keys]}


class GatewayTokenGenerator(JWTBearerTokenGenerator):  # type: ignore[misc]
    """authlib's RFC 9068 generator with the gateway's audience and agency claims."""

    def __init__(self, issuer: str, audience: str, keys: SigningKeys) -> None:
        super().__init__(
            issuer,
            alg=ACCESS_TOKEN_ALG,
            expires_generator=lambda _client, _grant: ACCESS_TOKEN_LIFETIME_SECONDS,
        )
        self.audience = audience
        self.keys = keys

    def get_jwks(self) -> KeySet:
        return self.keys.signing

    def get_audiences(self, client: OAuthClient, user: object, scope: str) -> str:
        return self.audience

    def get_jti(self, client: OAuthClient, grant_type: str, user: object, scope: str) -> str:
        return str(uuid.uuid4())

    def get_extra_claims(
        self, client: OAuthClient, grant_type: str, user: object, scope: str
    ) -> dict[str, Any]:
        return {
            "ods": client.ods_code,
            "org": client.organisation_name,
            "role": client.role.value,
        }


@dataclass(frozen=True, slots=True)
class AccessTokenClaims:
    client_id: str
    ods_code: str
    organisation_name: str
    role: AgencyRole
    scopes: frozenset[str]
    expires_at: int


class VerifiedTokens:
    """Claims of access tokens already verified here, by token, until each expires.

    A client presents the same token on every call for its ten-minute life: checking
    its signature and claims once is enough, as its bytes cannot change. Expiry is
    still checked on every use; the client's status (suspension) is checked by
    `authenticate` on every request, whatever this cache holds. Failures are never
    cached, and the least recently used entry goes first when the cache is full.
    """

    def __init__(self, size: int = 4096) -> None:
        self.size = size
        self._claims: OrderedDict[tuple[str, str, str], AccessTokenClaims] = OrderedDict()

    def get(self, token: str, issuer: str, audience: str) -> AccessTokenClaims | None:
        key = (token, issuer, audience)
        claims = self._claims.get(key)
        if claims is None:
            return None
        if claims.expires_at <= int(time.time()):  # joserfc's rule, no leeway: exp <= now
            del self._claims[key]
            return None
        self._claims.move_to_end(key)
        return claims

    def put(self, token: str, issuer: str, audience: str, claims: AccessTokenClaims) -> None:
        self._claims[(token, issuer, audience)] = claims
        if len(self._claims) > self.size:
            self._claims.popitem(last=False)


class InvalidAccessToken(Exception):
    """Carries a diagnostic fit for the caller; never the token itself."""


class UnknownSigningKey(InvalidAccessToken):
    """Signed with a key this process has not loaded (perhaps just rotated in)."""


@lru_cache(maxsize=8)
def _claims_registry(issuer: str, audience: str) -> jwt.JWTClaimsRegistry:
    return jwt.JWTClaimsRegistry(
        leeway=0,
        iss={"essential": True, "value": issuer},
        aud={"essential": True, "value": audience},
        exp={"essential": True},
        client_id={"essential": True},
        role={"essential": True, "values": [role.value for role in AgencyRole]},
        ods={"essential": True},
    )


def verify_access_token(
    token: str, keys: SigningKeys, *, issuer: str, audience: str
) -> AccessTokenClaims:
    claims = keys.verified.get(token, issuer, audience)
    if claims is None:
        claims = _verify(token, keys, issuer=issuer, audience=audience)
        keys.verified.put(token, issuer, audience, claims)
    return claims


def _verify(token: str, keys: SigningKeys, *, issuer: str, audience: str) -> AccessTokenClaims:
    try:
        decoded = jwt.decode(token, keys.verifying, algorithms=[ACCESS_TOKEN_ALG])
    except InvalidKeyIdError as exc:
        raise UnknownSigningKey("Access token signed by an unknown key") from exc
    except (JoseError, ValueError) as exc:
        raise InvalidAccessToken("Access token is malformed or its signature is invalid") from exc
    if str(decoded.header.get("typ", "")).lower() not in (ACCESS_TOKEN_TYPE, "application/at+jwt"):
        raise InvalidAccessToken("Not an access token")
    claims = decoded.claims
    try:
        _claims_registry(issuer, audience).validate(claims)
    except ExpiredTokenError as exc:
        raise InvalidAccessToken("Access token has expired") from exc
    except JoseError as exc:
        raise InvalidAccessToken(f"Access token rejected: {exc.description}") from exc
    return AccessTokenClaims(
        client_id=str(claims["client_id"]),
        ods_code=str(claims["ods"]),
        organisation_name=str(claims.get("org", "")),
        role=AgencyRole(claims["role"]),
        scopes=frozenset(str(claims.get("scope", "")).split()),
        expires_at=int(claims["exp"]),
    )
