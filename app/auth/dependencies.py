"""`authenticate`: the one dependency that turns a bearer token into a `Principal`
and enforces the SMART scopes the route declares.

How to use::

    from app.auth.dependencies import FlagReader, PatientReader

    @router.get("/Patient/{id}", ...)
    async def read_patient(id: str, principal: PatientReader, session: SessionDep) -> ...:
        ...

    # or, for a scope without an alias:
    Principal = Annotated[Principal, Security(authenticate, scopes=[Scope.FLAG_READ])]

In order it answers: 401 (+ `WWW-Authenticate: Bearer`) for a missing, malformed,
expired, wrongly signed or wrong-audience token; 403 for a suspended client;
429 (+ `Retry-After`) past the client's rate; 403 for a missing scope; 400
MISSING_VALUE when a route on a child's data (a scope on Patient, Flag,
CareTeam or AuditEvent) lacks the end-user headers, or the police purpose.
Refusals after the token is verified are audited on a transaction of their own.
Routes record their own successful accesses with `app.audit.service.record`.
"""

from typing import Annotated

import structlog
from fastapi import Depends, Request, Security
from fastapi.openapi.models import OAuthFlowClientCredentials, OAuthFlows
from fastapi.security import OAuth2, SecurityScopes
from fastapi.security.utils import get_authorization_scheme_param

from app.audit.service import AuditAction, record_refusal
from app.auth import context, repository
from app.auth.keystore import MIN_RELOAD_INTERVAL_SECONDS
from app.auth.models import ClientStatus
from app.auth.principal import OdsCode, Principal
from app.auth.scopes import Scope, SmartScope, satisfies, touches_patient_data
from app.auth.state import TOKEN_PATH, auth_state
from app.auth.tokens import (
    AccessTokenClaims,
    InvalidAccessToken,
    UnknownSigningKey,
    verify_access_token,
)
from app.fhir.errors import FHIRError, Forbidden, TooManyRequests, Unauthorized

log = structlog.get_logger("app.auth")

oauth2_scheme = OAuth2(
    flows=OAuthFlows(
        clientCredentials=OAuthFlowClientCredentials(
            tokenUrl=TOKEN_PATH, scopes={scope.value: scope.name for scope in Scope}
        )
    ),
    scheme_name="SMARTBackendServices",
    description="OAuth2 client credentials with a signed JWT client assertion (RFC 7523)",
    auto_error=False,
)


async def _verified(request: Request, authorization: str | None) -> AccessTokenClaims:
    scheme, token = get_authorization_scheme_param(authorization)
    if not authorization or scheme.lower() != "bearer" or not token:
        raise Unauthorized("Missing access token", headers={"WWW-Authenticate": "Bearer"})
    state = auth_state(request)

    def verify() -> AccessTokenClaims:
        keys = state.keystore.keys
        return verify_access_token(token, keys, issuer=state.issuer, audience=state.audience)

    try:
        try:
            return verify()
        except UnknownSigningKey:
            # Perhaps another instance rotated the keys: reload once, throttled.
            if not await state.keystore.reload_if_older_than(MIN_RELOAD_INTERVAL_SECONDS):
                raise
            return verify()
    except InvalidAccessToken as exc:
        raise Unauthorized(str(exc)) from None


async def authenticate(
    security_scopes: SecurityScopes,
    request: Request,
    authorization: Annotated[str | None, Depends(oauth2_scheme)],
) -> Principal:
    # The end-user headers are read here rather than declared (see `app.auth.openapi`),
    # and their lengths are checked after the token, so a caller without a valid token
    # always learns that first (401), whatever its headers.
    claims = await _verified(request, authorization)
    principal = Principal(
        client_id=claims.client_id,
        ods_code=OdsCode(claims.ods_code),
        organisation_name=claims.organisation_name,
        role=claims.role,
        scopes=claims.scopes,
        request_id=getattr(request.state, "request_id", None),
    )
    structlog.contextvars.bind_contextvars(client_id=claims.client_id, role=claims.role.value)

    state = auth_state(request)
    cached, status = state.statuses.get(claims.client_id)
    if not cached:
        # A session of its own: the route's session stays untouched, so a read that writes
        # nothing else can still send its audit row through the writer.
        async with request.app.state.sessionmaker() as lookup:
            status = await repository.client_status(lookup, claims.client_id)
        state.statuses.put(claims.client_id, status)
    if status is not ClientStatus.ACTIVE:
        await _refuse(request, principal, security_scopes, "client is not active")
        raise Forbidden("This client is suspended or no longer registered")

    retry_after = state.limiter.acquire(claims.client_id, claims.role)
    if retry_after is not None:
        log.info("auth.rate_limited", retry_after=retry_after)
        raise TooManyRequests(retry_after)

    missing = [s for s in security_scopes.scopes if not satisfies(claims.scopes, s)]
    if missing:
        await _refuse(request, principal, security_scopes, "missing scope " + " ".join(missing))
        raise Forbidden(f"The access token lacks the scope {' '.join(missing)}")

    try:
        headers = request.headers
        user, purpose = context.end_user_context(
            claims.role,
            user_id=headers.get(context.END_USER_ID),
            name=headers.get(context.END_USER_NAME),
            job_role=headers.get(context.END_USER_ROLE),
            purpose_code=headers.get(context.PURPOSE_OF_USE),
            justification=headers.get(context.PURPOSE_JUSTIFICATION),
            required=any(touches_patient_data(s) for s in security_scopes.scopes),
        )
    except FHIRError as exc:
        await _refuse(request, principal, security_scopes, f"end-user context: {exc.diagnostics}")
        raise
    return principal.acting_for(user, purpose)


async def _refuse(
    request: Request, principal: Principal, required: SecurityScopes, reason: str
) -> None:
    route = request.scope.get("route")
    where = f"{request.method} {getattr(route, 'path', request.url.path)}"
    parsed = [SmartScope.parse(scope) for scope in required.scopes]
    resource = next((p.resource for p in parsed if p is not None), "Unknown")
    log.info("auth.refused", reason=reason.split(":")[0], route=where)
    await record_refusal(
        request.app.state.sessionmaker,
        principal,
        action=AuditAction.EXECUTE,
        resource_type=resource,
        detail=f"{where}: {reason}",
    )


PatientReader = Annotated[Principal, Security(authenticate, scopes=[Scope.PATIENT_READ])]
FlagReader = Annotated[Principal, Security(authenticate, scopes=[Scope.FLAG_READ])]
FlagWriter = Annotated[Principal, Security(authenticate, scopes=[Scope.FLAG_WRITE])]
SubscriptionReader = Annotated[Principal, Security(authenticate, scopes=[Scope.SUBSCRIPTION_READ])]
SubscriptionWriter = Annotated[Principal, Security(authenticate, scopes=[Scope.SUBSCRIPTION_WRITE])]
AuditReader = Annotated[Principal, Security(authenticate, scopes=[Scope.AUDIT_READ])]
