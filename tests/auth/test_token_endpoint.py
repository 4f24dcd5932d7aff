"""POST /oauth2/token: RFC 7523 client assertions in, RFC 9068 tokens or RFC 6749 errors out."""

import base64
import json
import time
from typing import Any

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

from app.auth.clients import generate_client_key
from app.auth.scopes import ROLE_SCOPES, AgencyRole
from tests.fixtures.auth import GATEWAY_BASE, RegisterClient, TestClient


def _claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    decoded: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    )
    return decoded


async def _token(client: httpx.AsyncClient, form: dict[str, str]) -> httpx.Response:
    return await client.post("/oauth2/token", data=form)


def _assert_oauth_error(response: httpx.Response, error: str) -> None:
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.headers["cache-control"] == "no-store"
    assert response.json()["error"] == error, response.json()


@pytest.mark.parametrize("alg", ["RS384", "RS512", "ES384"])
async def test_issues_a_signed_token_for_each_allowed_algorithm(
    client: httpx.AsyncClient, register_client: RegisterClient, alg: str
) -> None:
    registered = await register_client(AgencyRole.POLICE, alg=alg)
    response = await _token(client, registered.token_form())
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 600
    assert set(body["scope"].split()) == set(ROLE_SCOPES[AgencyRole.POLICE])
    jwks = (await client.get("/.well-known/jwks.json")).json()
    decoded = jwt.decode(body["access_token"], KeySet.import_key_set(jwks), algorithms=["RS256"])
    assert decoded.header["typ"] == "at+jwt"
    claims = decoded.claims
    assert claims["client_id"] == claims["sub"] == registered.client_id
    assert claims["ods"] == registered.ods_code
    assert claims["role"] == "police"
    assert claims["iss"] == claims["aud"] == GATEWAY_BASE
    assert claims["exp"] - claims["iat"] == 600


async def test_granted_scope_is_requested_intersect_allowed(
    client: httpx.AsyncClient, register_client: RegisterClient
) -> None:
    registered = await register_client(AgencyRole.SOCIAL_CARE)
    # Flag.rs narrows the allowed Flag.cruds; Observation is not allowed and is dropped.
    form = registered.token_form("system/Flag.rs system/Observation.rs")
    response = await _token(client, form)
    assert response.status_code == 200, response.text
    assert response.json()["scope"] == "system/Flag.rs"
    assert _claims(response.json()["access_token"])["scope"] == "system/Flag.rs"


async def test_no_allowed_scope_is_invalid_scope(
    client: httpx.AsyncClient, register_client: RegisterClient
) -> None:
    registered = await register_client(AgencyRole.EDUCATION)
    _assert_oauth_error(
        await _token(client, registered.token_form("system/Flag.rs")), "invalid_scope"
    )


async def test_replayed_assertion_is_refused(
    client: httpx.AsyncClient, register_client: RegisterClient
) -> None:
    registered = await register_client(AgencyRole.HEALTH_SCHEDULED)
    form = registered.token_form(jti="once-only")
    assert (await _token(client, form)).status_code == 200
    _assert_oauth_error(await _token(client, form), "invalid_client")
    # A fresh assertion with the same jti is a replay too.
    _assert_oauth_error(
        await _token(client, registered.token_form(jti="once-only")), "invalid_client"
    )


def _tampered(assertion: str) -> str:
    header, payload, signature = assertion.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = claims["iss"]
    claims["exp"] += 60
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


@pytest.mark.parametrize(
    "case",
    ["expired", "too_long", "wrong_audience", "iss_not_sub", "tampered", "wrong_key", "rs256"],
)
async def test_bad_assertions_are_refused(
    client: httpx.AsyncClient, register_client: RegisterClient, case: str
) -> None:
    registered = await register_client(AgencyRole.HEALTH_UNSCHEDULED, alg="RS384")
    form = registered.token_form()
    if case == "expired":
        form = registered.token_form(exp_in=-120)
    elif case == "too_long":
        form = registered.token_form(exp_in=3600)
    elif case == "wrong_audience":
        form = registered.token_form(aud="https://elsewhere.example/oauth2/token")
    elif case == "iss_not_sub":
        form = registered.token_form(iss="someone-else")
    elif case == "tampered":
        form["client_assertion"] = _tampered(form["client_assertion"])
    elif case == "wrong_key":
        form = registered.token_form(key=generate_client_key("RS384"))
    elif case == "rs256":
        # The same key material, stripped of its declared alg, signing with RS256.
        loose = {k: v for k, v in registered.key.as_dict(private=True).items() if k != "alg"}
        form = registered.token_form(alg="RS256", key=RSAKey.import_key(loose))
    _assert_oauth_error(await _token(client, form), "invalid_client")


async def test_unknown_client_and_wrong_grant(
    client: httpx.AsyncClient, register_client: RegisterClient
) -> None:
    registered = await register_client(AgencyRole.ADMIN)
    stranger = TestClient("no-such-client", AgencyRole.ADMIN, "X1", "X", registered.key, "ES384")
    _assert_oauth_error(await _token(client, stranger.token_form()), "invalid_client")
    form = registered.token_form() | {"grant_type": "password"}
    _assert_oauth_error(await _token(client, form), "unsupported_grant_type")
    form = registered.token_form() | {"client_assertion_type": "urn:other"}
    _assert_oauth_error(await _token(client, form), "invalid_request")
    _assert_oauth_error(
        await _token(client, {"client_assertion": "not-a-jwt"}), "unsupported_grant_type"
    )
    form = registered.token_form() | {"client_assertion": "not-a-jwt"}
    _assert_oauth_error(await _token(client, form), "invalid_client")


async def test_discovery_documents(client: httpx.AsyncClient) -> None:
    smart = (await client.get("/.well-known/smart-configuration")).json()
    assert smart["token_endpoint"] == f"{GATEWAY_BASE}/oauth2/token"
    assert smart["token_endpoint_auth_methods_supported"] == ["private_key_jwt"]
    assert smart["token_endpoint_auth_signing_alg_values_supported"] == ["RS384", "RS512", "ES384"]
    assert "client-confidential-asymmetric" in smart["capabilities"]
    oauth = (await client.get("/.well-known/oauth-authorization-server")).json()
    assert oauth["jwks_uri"] == f"{GATEWAY_BASE}/.well-known/jwks.json"
    jwks = (await client.get("/.well-known/jwks.json")).json()
    assert jwks["keys"]
    assert all("d" not in key and "kid" in key for key in jwks["keys"])


async def test_assertion_lifetime_is_checked_against_now(register_client: RegisterClient) -> None:
    registered = await register_client(AgencyRole.EDUCATION)
    claims = _claims(registered.assertion())
    assert claims["exp"] - time.time() <= 300
