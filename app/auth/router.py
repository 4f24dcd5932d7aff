"""`POST /oauth2/token` (answers in RFC 6749 JSON, as OAuth clients expect) and the
discovery documents: `/.well-known/jwks.json`, `/.well-known/smart-configuration`
(SMART App Launch v2) and `/.well-known/oauth-authorization-server` (RFC 8414)."""

from typing import Annotated, Any

from authlib.oauth2 import OAuth2Error
from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse

from app.auth.client_assertion import ALLOWED_ALGORITHMS, ASSERTION_TYPE
from app.auth.schemas import JWKS, ServerMetadata, TokenError, TokenResponse
from app.auth.scopes import Scope
from app.auth.service import TokenRequest, issue_token
from app.auth.state import TOKEN_PATH, AuthState, auth_state
from app.db import SessionDep

router = APIRouter(tags=["Authorisation"])

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


@router.post(
    TOKEN_PATH,
    response_model=TokenResponse,
    summary="Get an access token",
    responses={400: {"model": TokenError, "description": "RFC 6749 §5.2 error"}},
)
async def token(
    request: Request,
    session: SessionDep,
    grant_type: Annotated[str | None, Form(description="client_credentials")] = None,
    client_assertion_type: Annotated[str | None, Form(description=ASSERTION_TYPE)] = None,
    client_assertion: Annotated[
        str | None, Form(description="JWT signed RS384, RS512 or ES384 (RFC 7523)")
    ] = None,
    scope: Annotated[str | None, Form(description="SMART v2 scopes, space-separated")] = None,
) -> JSONResponse:
    """Client credentials with a signed JWT client assertion; a 10-minute RFC 9068 JWT.

    Form fields carry no schema limits: every error here must be RFC 6749 JSON,
    so the service checks them (FastAPI's validation would answer in FHIR).
    """
    form = TokenRequest(
        grant_type=grant_type,
        client_assertion_type=client_assertion_type,
        client_assertion=client_assertion,
        scope=scope,
        request_id=getattr(request.state, "request_id", None),
    )
    try:
        issued = await issue_token(session, auth_state(request), form)
    except OAuth2Error as exc:
        # Returned, not raised: the refusal's audit row commits with the session.
        body = TokenError(error=exc.error, error_description=exc.description)
        return JSONResponse(
            body.model_dump(exclude_none=True), status_code=exc.status_code, headers=NO_STORE
        )
    body_ok = TokenResponse(
        access_token=issued.access_token,
        token_type=issued.token_type,
        expires_in=issued.expires_in,
        scope=issued.scope,
    )
    return JSONResponse(body_ok.model_dump(), headers=NO_STORE)


@router.get("/.well-known/jwks.json", response_model=JWKS, summary="Token signing keys")
async def jwks(request: Request) -> dict[str, Any]:
    """Public keys that verify the gateway's access tokens (several during a rotation)."""
    return auth_state(request).keystore.keys.public_jwks()


def _metadata(state: AuthState) -> ServerMetadata:
    return ServerMetadata(
        issuer=state.issuer,
        token_endpoint=state.token_url,
        jwks_uri=state.issuer + "/.well-known/jwks.json",
        grant_types_supported=["client_credentials"],
        token_endpoint_auth_methods_supported=["private_key_jwt"],
        token_endpoint_auth_signing_alg_values_supported=ALLOWED_ALGORITHMS,
        scopes_supported=[scope.value for scope in Scope],
        capabilities=["client-confidential-asymmetric", "permission-v2"],
    )


@router.get(
    "/.well-known/smart-configuration",
    response_model=ServerMetadata,
    response_model_exclude_none=True,
    summary="SMART configuration",
)
async def smart_configuration(request: Request) -> ServerMetadata:
    """SMART App Launch v2 discovery for backend services."""
    return _metadata(auth_state(request))


@router.get(
    "/.well-known/oauth-authorization-server",
    response_model=ServerMetadata,
    response_model_exclude_none=True,
    summary="OAuth server metadata",
)
async def oauth_metadata(request: Request) -> ServerMetadata:
    """RFC 8414 authorization server metadata (the same facts as the SMART document)."""
    return _metadata(auth_state(request))
