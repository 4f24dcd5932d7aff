"""Issuing access tokens: client credentials with a JWT client assertion (RFC 6749 §4.4,
RFC 7523 §2.2), answered with an RFC 9068 access token or an RFC 6749 §5.2 error.

Every token request from an identified client is audited (issued or refused).
"""

from dataclasses import dataclass
from datetime import UTC, datetime

import structlog
from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749 import (
    InvalidClientError,
    InvalidRequestError,
    InvalidScopeError,
    UnauthorizedClientError,
    UnsupportedGrantTypeError,
)
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.service import AuditAction, AuditOutcome, record
from app.auth import repository
from app.auth.client_assertion import ASSERTION_TYPE, ClientAssertionVerifier
from app.auth.keystore import RELOAD_AFTER_SECONDS
from app.auth.models import ClientStatus, OAuthClient
from app.auth.principal import OdsCode, Principal
from app.auth.state import AuthState
from app.auth.tokens import GatewayTokenGenerator

log = structlog.get_logger("app.auth")

MAX_ASSERTION_LENGTH = 16_000
MAX_SCOPE_LENGTH = 2_000


@dataclass(frozen=True, slots=True)
class TokenRequest:
    grant_type: str | None
    client_assertion_type: str | None
    client_assertion: str | None
    scope: str | None
    request_id: str | None = None


@dataclass(frozen=True, slots=True)
class IssuedToken:
    access_token: str
    expires_in: int
    scope: str
    token_type: str = "Bearer"  # noqa: S105 - the RFC 6750 type name


def _principal(client: OAuthClient, scopes: frozenset[str], request_id: str | None) -> Principal:
    return Principal(
        client_id=client.id,
        ods_code=OdsCode(client.ods_code),
        organisation_name=client.organisation_name,
        role=client.role,
        scopes=scopes,
        request_id=request_id,
    )


async def issue_token(session: AsyncSession, state: AuthState, form: TokenRequest) -> IssuedToken:
    """The token, or raises an authlib `OAuth2Error` (rendered as RFC 6749 JSON)."""
    if form.grant_type != "client_credentials":
        raise UnsupportedGrantTypeError(form.grant_type or "")
    if form.client_assertion_type != ASSERTION_TYPE or not form.client_assertion:
        raise InvalidRequestError(description=f"client_assertion_type must be {ASSERTION_TYPE}")
    if (
        len(form.client_assertion) > MAX_ASSERTION_LENGTH
        or len(form.scope or "") > MAX_SCOPE_LENGTH
    ):
        raise InvalidRequestError(description="client_assertion or scope is too long")
    verifier = ClientAssertionVerifier(state.token_url)
    client_id = verifier.unverified_client_id(form.client_assertion)
    client = await repository.get_client(session, client_id)
    try:
        verified = verifier.verify(form.client_assertion, client)
        expires = datetime.fromtimestamp(verified.expires_at, UTC)
        if not await repository.consume_assertion(session, client_id, verified.jti, expires):
            raise InvalidClientError(description="Assertion 'jti' has been used before")
        assert client is not None  # noqa: S101 - verify() found it
        if client.status is not ClientStatus.ACTIVE:
            raise UnauthorizedClientError(description="This client is suspended")
        scope = client.get_allowed_scope(form.scope)
        if not scope:
            raise InvalidScopeError(description="None of the requested scopes is allowed")
    except OAuth2Error as exc:
        log.info("auth.token_refused", error=exc.error, known_client=client is not None)
        if client is not None:
            await record(
                session,
                None,
                client_id=client.id,
                action=AuditAction.LOGIN,
                resource_type="Token",
                outcome=AuditOutcome.MINOR_FAILURE,
                detail=f"{exc.error}: {exc.description}",
            )
        raise
    await state.keystore.reload_if_older_than(RELOAD_AFTER_SECONDS)
    generator = GatewayTokenGenerator(state.issuer, state.audience, state.keystore.keys)
    token = generator.generate(
        "client_credentials", client, scope=scope, include_refresh_token=False
    )
    principal = _principal(client, frozenset(scope.split()), form.request_id)
    await record(session, principal, action=AuditAction.LOGIN, resource_type="Token", detail=scope)
    log.info("auth.token_issued", client_id=client.id, role=client.role.value)
    return IssuedToken(
        access_token=token["access_token"], expires_in=int(token["expires_in"]), scope=scope
    )
