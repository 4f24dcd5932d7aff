"""Client authentication with a signed JWT assertion (RFC 7523 §2.2, §3), via authlib.

authlib's `JWTBearerClientAssertion` does the work (signature against the
client's registered JWKS, `iss` = `sub` = client id, `aud`, `exp`, `jti`
present); this subclass narrows it to the algorithms SMART Backend Services
names, caps the lifetime at five minutes and leaves the replay check to the
database (the `jti` is consumed in the same transaction that issues the token).
"""

import time
from dataclasses import dataclass
from typing import Any, cast

from authlib.oauth2.rfc6749 import InvalidClientError
from authlib.oauth2.rfc7523 import JWTBearerClientAssertion
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from app.auth.models import OAuthClient

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ALLOWED_ALGORITHMS = ["RS384", "RS512", "ES384"]
MAX_LIFETIME_SECONDS = 300
LEEWAY_SECONDS = 30


@dataclass(slots=True)
class _FormRequest:
    """The slice of an authlib OAuth2Request the authenticator reads and writes."""

    form: dict[str, str]
    client: OAuthClient | None = None


@dataclass(frozen=True, slots=True)
class VerifiedAssertion:
    client: OAuthClient
    jti: str
    expires_at: int


class ClientAssertionVerifier(JWTBearerClientAssertion):  # type: ignore[misc]
    """One per token request: it keeps the verified claims of the assertion it checked."""

    def __init__(self, token_url: str) -> None:
        super().__init__(leeway=LEEWAY_SECONDS)
        self.token_url = token_url
        self._claims: dict[str, Any] = {}

    def get_audiences(self) -> list[str]:
        return [self.token_url]

    def resolve_client_public_key(self, client: OAuthClient) -> KeySet:
        return KeySet.import_key_set(cast(Any, client.jwks))

    def process_assertion_claims(self, assertion: str, resolve_key: Any) -> dict[str, Any]:
        try:
            token = jwt.decode(assertion, resolve_key, algorithms=ALLOWED_ALGORITHMS)
        except JoseError as exc:
            raise InvalidClientError(description=exc.description) from exc
        self.verify_claims(token.claims)
        self._claims = dict(token.claims)
        return self._claims

    def verify_claims(self, claims: dict[str, Any]) -> None:
        super().verify_claims(claims)
        exp = claims["exp"]
        if not isinstance(exp, int) or exp > time.time() + MAX_LIFETIME_SECONDS + LEEWAY_SECONDS:
            raise InvalidClientError(description="Assertion 'exp' is more than 5 minutes ahead")
        if not isinstance(claims["jti"], str) or not 0 < len(claims["jti"]) <= 200:
            raise InvalidClientError(description="Invalid claim: 'jti'")

    def validate_jti(self, claims: dict[str, Any], jti: str) -> bool:
        return True  # checked against the database by the caller: see `VerifiedAssertion`

    def unverified_client_id(self, assertion: str) -> str:
        """`sub` read before verification, only to find whose keys to verify with."""
        _headers, claims = self.extract_assertion(assertion)
        client_id = claims.get("sub")
        if not isinstance(client_id, str) or not client_id:
            raise InvalidClientError(description="Missing claim: 'sub'")
        return client_id

    def verify(self, assertion: str, client: OAuthClient | None) -> VerifiedAssertion:
        request = _FormRequest(
            {"client_assertion_type": ASSERTION_TYPE, "client_assertion": assertion}
        )

        def query_client(client_id: str) -> OAuthClient | None:
            return client if client is not None and client.id == client_id else None

        authenticated: OAuthClient = self(query_client, request)
        return VerifiedAssertion(authenticated, self._claims["jti"], int(self._claims["exp"]))
