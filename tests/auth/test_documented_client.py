"""A client written from the README alone: the `cci` command to register, then only
httpx and joserfc. No project code is imported here (the fixtures serve the app)."""

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import ECKey, RSAKey

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
END_USER = {
    "X-End-User-Id": "auditor-1",
    "X-End-User-Name": "Jo Bloggs",
    "X-End-User-Role": "Information governance lead",
    "X-Purpose-Of-Use": "HCOMPL",
}


def cci_clients_add(database_url: str, role: str, key_file: Path, alg: str) -> str:
    """`cci clients add ... --generate-key OUT`: the client id is the last line printed."""
    result = subprocess.run(  # noqa: S603 - our own CLI, fixed arguments
        [
            str(Path(sys.executable).with_name("cci")), "clients", "add", "--role", role,
            "--ods", "X26", "--name", "Docs Test Org", "--generate-key", str(key_file),
            "--alg", alg,
        ],
        env={**os.environ, "CCI_DATABASE_URL": database_url},
        capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    return result.stdout.strip().splitlines()[-1]


def assertion(client_id: str, key: RSAKey | ECKey, token_url: str, **claims: object) -> str:
    now = int(time.time())
    payload = {
        "iss": client_id, "sub": client_id, "aud": token_url, "jti": str(uuid.uuid4()),
        "iat": now, "exp": now + 300,
    } | claims  # fmt: skip
    alg = str(key.alg)  # the JWK written by `cci clients add` names its algorithm
    return jwt.encode({"alg": alg, "kid": key.kid, "typ": "JWT"}, payload, key, algorithms=[alg])


async def get_token(
    http: httpx.AsyncClient, signed: str, scope: str | None = None
) -> httpx.Response:
    form = {
        "grant_type": "client_credentials",
        "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": signed,
    }
    if scope:
        form["scope"] = scope
    return await http.post("/oauth2/token", data=form)


@pytest.mark.slow
async def test_register_get_token_call_and_be_refused(
    client: httpx.AsyncClient, database_url: str, tmp_path: Path
) -> None:
    smart = (await client.get("/.well-known/smart-configuration")).json()
    token_url = smart["token_endpoint"]

    admin_id = cci_clients_add(database_url, "admin", tmp_path / "admin.jwk.json", "RS384")
    admin_key = RSAKey.import_key(json.loads((tmp_path / "admin.jwk.json").read_text()))
    signed = assertion(admin_id, admin_key, token_url)
    response = await get_token(client, signed)
    assert response.status_code == 200, response.text
    token = response.json()["access_token"]

    headers = {"Authorization": f"Bearer {token}", **END_USER}
    audit = await client.get("/AuditEvent", headers=headers)
    assert audit.status_code == 200, audit.text
    assert audit.json()["resourceType"] == "Bundle"

    # Refusals a documented client must expect.
    assert (await get_token(client, signed)).json()["error"] == "invalid_client"  # replayed
    expired = assertion(admin_id, admin_key, token_url, exp=int(time.time()) - 60)
    assert (await get_token(client, expired)).json()["error"] == "invalid_client"
    wrong_aud = assertion(admin_id, admin_key, "https://elsewhere.example/token")
    assert (await get_token(client, wrong_aud)).json()["error"] == "invalid_client"
    head, body, signature = assertion(admin_id, admin_key, token_url).split(".")
    tampered = f"{head}.{body[:-2]}AA.{signature}"
    assert (await get_token(client, tampered)).status_code == 400

    school_id = cci_clients_add(database_url, "education", tmp_path / "school.jwk.json", "ES384")
    school_key = ECKey.import_key(json.loads((tmp_path / "school.jwk.json").read_text()))
    school = await get_token(client, assertion(school_id, school_key, token_url))
    school_headers = {"Authorization": f"Bearer {school.json()['access_token']}", **END_USER}
    refused = await client.get("/AuditEvent", headers=school_headers)
    assert refused.status_code == 403
    assert refused.json()["resourceType"] == "OperationOutcome"
    missing = await client.get("/AuditEvent")
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"].startswith("Bearer")
