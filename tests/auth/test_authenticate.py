"""`authenticate`: 401 for bad tokens, 403 for scope or suspension, 400 for missing
end-user context, 429 past the rate, and the role-by-scope matrix."""

import time
import uuid
from dataclasses import replace
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from joserfc import jwt
from joserfc.jwk import RSAKey
from sqlalchemy import select

from app.audit.models import AuditEventRow
from app.auth import clients
from app.auth.models import ClientStatus
from app.auth.principal import EndUser, OdsCode, Principal, Purpose, PurposeOfUse
from app.auth.rate_limit import RateLimit
from app.auth.scopes import ROLE_SCOPES, AgencyRole, Scope, satisfies
from app.auth.tokens import generate_signing_key
from tests.auth.conftest import app_with_test_routes
from tests.fixtures.auth import GATEWAY_BASE, AuthHeaders, RegisterClient, fetch_token
from tests.fixtures.fhir import assert_operation_outcome

PATIENT = "/_test/Patient/9000000009"
SYSTEM = "/_test/Subscription"


def _forged(signing_key: RSAKey | None = None, **overrides: Any) -> str:
    now = int(time.time())
    claims = {
        "iss": GATEWAY_BASE, "aud": GATEWAY_BASE, "sub": "c", "client_id": "c", "iat": now,
        "exp": now + 600, "jti": str(uuid.uuid4()), "scope": "system/Patient.rs",
        "ods": "X1", "role": "police",
    } | overrides  # fmt: skip
    key = signing_key or generate_signing_key()
    return jwt.encode({"alg": "RS256", "typ": "at+jwt", "kid": key.kid}, claims, key)


def _assert_unauthorized(response: httpx.Response) -> None:
    assert_operation_outcome(response, 401, code="login", spine_code="ACCESS_DENIED")
    assert response.headers["www-authenticate"].startswith("Bearer")


async def test_missing_and_malformed_tokens(client: httpx.AsyncClient) -> None:
    _assert_unauthorized(await client.get(PATIENT))
    _assert_unauthorized(await client.get(PATIENT, headers={"Authorization": "Basic abc"}))
    _assert_unauthorized(await client.get(PATIENT, headers={"Authorization": "Bearer not.a.jwt"}))


async def test_wrongly_signed_expired_and_wrong_audience_tokens(
    client: httpx.AsyncClient, gateway_app: FastAPI
) -> None:
    keys = gateway_app.state.auth.keystore.keys
    ours = RSAKey.import_key(keys.private_jwks()[0])
    assert (
        await client.get(PATIENT, headers={"Authorization": f"Bearer {_forged(ours)}"})
    ).status_code != 401
    for token in (
        _forged(),  # a key the gateway never had
        _forged(ours, exp=int(time.time()) - 1),
        _forged(ours, aud="https://other.example"),
        _forged(ours, iss="https://other.example"),
        _forged(ours, role="superuser"),
    ):
        _assert_unauthorized(
            await client.get(PATIENT, headers={"Authorization": f"Bearer {token}"})
        )


async def test_missing_scope_is_403_and_audited(
    client: httpx.AsyncClient, auth_headers: AuthHeaders, gateway_app: FastAPI
) -> None:
    headers = await auth_headers(AgencyRole.SOCIAL_CARE, scopes=["system/Flag.rs"])
    response = await client.get(PATIENT, headers=headers)
    assert_operation_outcome(response, 403, code="forbidden", spine_code="ACCESS_DENIED")
    async with gateway_app.state.sessionmaker() as session:
        rows = (
            await session.scalars(select(AuditEventRow).where(AuditEventRow.outcome == "4"))
        ).all()
    assert [row.detail for row in rows if row.action == "execute"] == [
        "GET /_test/Patient/{nhs_number}: missing scope system/Patient.rs"
    ]


async def test_suspended_client_is_403_at_once(
    client: httpx.AsyncClient, register_client: RegisterClient, gateway_app: FastAPI
) -> None:
    registered = await register_client(AgencyRole.HEALTH_SCHEDULED)
    token = await fetch_token(client, registered)
    async with gateway_app.state.sessionmaker() as session:
        await clients.set_status(session, registered.client_id, ClientStatus.SUSPENDED)
        await session.commit()
    response = await client.get(SYSTEM, headers={"Authorization": f"Bearer {token}"})
    assert_operation_outcome(response, 403, diagnostics_contains="suspended")
    refused = await client.post("/oauth2/token", data=registered.token_form())
    assert refused.json()["error"] == "unauthorized_client"


async def test_end_user_context_is_required_on_child_data_only(
    client: httpx.AsyncClient, auth_headers: AuthHeaders
) -> None:
    headers = await auth_headers(AgencyRole.SOCIAL_CARE, end_user=None)
    assert (await client.get(SYSTEM, headers=headers)).json() == {"end_user": None}
    response = await client.get(PATIENT, headers=headers)
    body = assert_operation_outcome(response, 400, code="required", spine_code="MISSING_VALUE")
    assert body["issue"][0]["expression"] == ["header.X-End-User-Id"]


async def test_police_must_state_purpose_and_justification(
    client: httpx.AsyncClient, auth_headers: AuthHeaders, register_client: RegisterClient
) -> None:
    police = await register_client(AgencyRole.POLICE)
    ok = await auth_headers(AgencyRole.POLICE, test_client=police, purpose=PurposeOfUse.THREAT)
    assert (await client.get(PATIENT, headers=ok)).status_code == 200
    no_reason = {k: v for k, v in ok.items() if k != "X-Purpose-Justification"}
    response = await client.get(PATIENT, headers=no_reason)
    assert_operation_outcome(response, 400, spine_code="MISSING_VALUE")
    no_purpose = {k: v for k, v in no_reason.items() if k != "X-Purpose-Of-Use"}
    response = await client.get(PATIENT, headers=no_purpose)
    assert_operation_outcome(response, 400, diagnostics_contains="X-Purpose-Of-Use")
    bad = ok | {"X-Purpose-Of-Use": "CURIOSITY"}
    assert_operation_outcome(
        await client.get(PATIENT, headers=bad), 400, spine_code="INVALID_VALUE"
    )


async def test_percent_encoded_names_are_decoded(
    client: httpx.AsyncClient, auth_headers: AuthHeaders, gateway_app: FastAPI
) -> None:
    headers = await auth_headers(AgencyRole.HEALTH_UNSCHEDULED)
    headers["X-End-User-Name"] = "Zo%C3%AB%20O%27Brien"
    assert (await client.get(PATIENT, headers=headers)).status_code == 200
    async with gateway_app.state.sessionmaker() as session:
        names = (await session.scalars(select(AuditEventRow.end_user_name))).all()
    assert "Zoë O'Brien" in names


@pytest.mark.parametrize("role", list(AgencyRole))
@pytest.mark.parametrize("scope", [Scope.PATIENT_READ, Scope.SUBSCRIPTION_WRITE])
async def test_role_scope_matrix(
    client: httpx.AsyncClient, auth_headers: AuthHeaders, role: AgencyRole, scope: Scope
) -> None:
    allowed = satisfies(frozenset(ROLE_SCOPES[role]), scope)
    # Ask for exactly this scope, or (when the role lacks it) for everything the role has.
    headers = await auth_headers(role, scopes=[scope] if allowed else None)
    path = PATIENT if scope is Scope.PATIENT_READ else SYSTEM
    response = await client.get(path, headers=headers)
    assert response.status_code == (200 if allowed else 403), response.text


async def test_rate_limit_is_429_with_retry_after(
    database_url: str, register_client: RegisterClient
) -> None:
    app = app_with_test_routes(
        database_url, rate_limits={AgencyRole.EDUCATION: RateLimit(per_second=0.5, burst=2)}
    )
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=GATEWAY_BASE) as limited:
            registered = await register_client(AgencyRole.EDUCATION)
            token = await fetch_token(limited, registered)
            headers = {"Authorization": f"Bearer {token}"}
            statuses = [(await limited.get(SYSTEM, headers=headers)).status_code for _ in range(2)]
            assert statuses == [403, 403]  # within the burst (education lacks the scope)
            response = await limited.get(SYSTEM, headers=headers)
            assert_operation_outcome(
                response, 429, code="throttled", spine_code="TOO_MANY_REQUESTS"
            )
            assert int(response.headers["retry-after"]) >= 1


def test_acting_for_keeps_everything_but_the_request_context() -> None:
    base = Principal(
        client_id="c-1", ods_code=OdsCode("A1B2C"), organisation_name="Org", role=AgencyRole.POLICE,
        scopes=frozenset({"system/Patient.rs"}), end_user=EndUser("old", "Old", "Old"),
        purpose=Purpose(PurposeOfUse.HLEGAL, "old"), request_id="r-1",
    )  # fmt: skip
    user, purpose = EndUser("u-1", "Sam", "Officer"), Purpose(PurposeOfUse.PATSFTY, "why")
    assert base.acting_for(user, purpose) == replace(base, end_user=user, purpose=purpose)
    assert base.acting_for(None, None) == replace(base, end_user=None, purpose=None)
