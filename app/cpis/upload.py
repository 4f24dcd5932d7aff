"""`cci flags upload`: an LA's CSV as FHIR batch Bundles over HTTP, for LAs without FHIR.

Each row becomes a conditional update (`PUT Flag?identifier=<case reference>`), so
a daily file of the whole caseload is idempotent. The CLI is an ordinary API
client: it signs a client assertion (RFC 7523) with the LA's key, gets a token,
and posts chunks; every row's result is written to a report CSV.

Columns: case_reference, nhs_number, given, family, birth_date, plan_type
(cpp | lac | ucpp, or the SNOMED code), category, start, end, status, la_name,
office_hours_phone, out_of_hours_phone.
"""

import csv
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson
from joserfc import jwt
from joserfc.jwk import ECKey, Key, RSAKey

from app.cpis.profile import (
    CASE_REFERENCE_SYSTEM,
    CONTACT_PURPOSE_SYSTEM,
    CPP_CATEGORY_SYSTEM,
    SNOMED,
    PlanType,
)
from cci_common.identifiers import nhs_number

PLAN_ALIASES = {
    "cpp": PlanType.CHILD_PROTECTION_PLAN,
    "lac": PlanType.LOOKED_AFTER_CHILD,
    "cla": PlanType.LOOKED_AFTER_CHILD,
    "ucpp": PlanType.UNBORN_CHILD_PROTECTION_PLAN,
}
COLUMNS = (
    "case_reference", "nhs_number", "given", "family", "birth_date", "plan_type", "category",
    "start", "end", "status", "la_name", "office_hours_phone", "out_of_hours_phone",
)  # fmt: skip
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


def _cell(row: dict[str, str], name: str) -> str | None:
    value = (row.get(name) or "").strip()
    return value or None


def row_to_flag(row: dict[str, str]) -> dict[str, Any]:
    """A CSV row as a Flag in our profile; the gateway validates it, not this function."""
    plan = _cell(row, "plan_type") or ""
    code = PLAN_ALIASES.get(plan.lower(), plan)
    name: dict[str, Any] = {"use": "official"}
    if given := _cell(row, "given"):
        name["given"] = given.split()
    if family := _cell(row, "family"):
        name["family"] = family
    patient: dict[str, Any] = {"resourceType": "Patient", "id": "subject", "name": [name]}
    if birth := _cell(row, "birth_date"):
        patient["birthDate"] = birth
    contacts = [
        {
            "purpose": {"coding": [{"system": CONTACT_PURPOSE_SYSTEM, "code": purpose}]},
            "telecom": [{"system": "phone", "value": phone}],
        }
        for purpose, column in (
            ("office-hours", "office_hours_phone"),
            ("out-of-hours", "out_of_hours_phone"),
        )
        if (phone := _cell(row, column))
    ]
    organisation = {
        "resourceType": "Organization",
        "id": "la",
        "name": _cell(row, "la_name"),
        "contact": contacts,
    }
    period = {"start": _cell(row, "start"), "end": _cell(row, "end")}
    category = _cell(row, "category")
    return {
        "resourceType": "Flag",
        "contained": [patient, organisation],
        "identifier": [{"system": CASE_REFERENCE_SYSTEM, "value": _cell(row, "case_reference")}],
        "status": _cell(row, "status") or "active",
        "category": (
            [{"coding": [{"system": CPP_CATEGORY_SYSTEM, "code": category.lower()}]}]
            if category
            else []
        ),
        "code": {"coding": [{"system": SNOMED, "code": str(code)}]},
        "subject": {
            "reference": "#subject",
            "identifier": {"system": nhs_number.SYSTEM, "value": _cell(row, "nhs_number")},
        },
        "period": {k: v for k, v in period.items() if v},
        "author": {"reference": "#la"},
    }


def batch_entry(row: dict[str, str]) -> dict[str, Any]:
    case = _cell(row, "case_reference") or ""
    return {
        "resource": row_to_flag(row),
        "request": {"method": "PUT", "url": f"Flag?identifier={CASE_REFERENCE_SYSTEM}|{case}"},
    }


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        return list(csv.DictReader(handle))


def chunks(rows: list[dict[str, str]], size: int) -> Iterator[list[dict[str, str]]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def load_key(path: Path) -> Key:
    data = orjson.loads(path.read_bytes())
    key: Key = ECKey.import_key(data) if data.get("kty") == "EC" else RSAKey.import_key(data)
    return key


def client_assertion(client_id: str, key: Key, token_url: str) -> str:
    now = int(time.time())
    alg = "ES384" if isinstance(key, ECKey) else str(key.get("alg") or "RS384")
    claims = {
        "iss": client_id,
        "sub": client_id,
        "aud": token_url,
        "jti": str(uuid.uuid4()),
        "iat": now,
        "exp": now + 120,
    }
    header = {"alg": alg, "kid": key.kid, "typ": "JWT"}
    return jwt.encode(header, claims, key, algorithms=[alg])


@dataclass(frozen=True, slots=True)
class Uploader:
    http: httpx.Client
    headers: dict[str, str]

    @classmethod
    def connect(
        cls, base_url: str, client_id: str, key: Key, end_user: dict[str, str]
    ) -> "Uploader":
        http = httpx.Client(base_url=base_url.rstrip("/"), timeout=600)
        token_url = f"{base_url.rstrip('/')}/oauth2/token"
        response = http.post(
            "/oauth2/token",
            data={
                "grant_type": "client_credentials",
                "client_assertion_type": ASSERTION_TYPE,
                "client_assertion": client_assertion(client_id, key, token_url),
                "scope": "system/Flag.cud",
            },
        )
        if response.status_code != 200:
            raise RuntimeError(f"token request refused ({response.status_code}): {response.text}")
        token = response.json()["access_token"]
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/fhir+json"}
        return cls(http, headers | end_user)

    def post(self, rows: list[dict[str, str]]) -> list[dict[str, Any]]:
        bundle = {
            "resourceType": "Bundle",
            "type": "batch",
            "entry": [batch_entry(r) for r in rows],
        }
        response = self.http.post("/", content=orjson.dumps(bundle), headers=self.headers)
        if response.status_code != 200:
            raise RuntimeError(f"batch refused ({response.status_code}): {response.text[:500]}")
        entries: list[dict[str, Any]] = response.json()["entry"]
        return entries


def result_row(index: int, row: dict[str, str], entry: dict[str, Any]) -> dict[str, str]:
    response = entry.get("response", {})
    outcome = response.get("outcome") or {}
    issue = (outcome.get("issue") or [{}])[0]
    codes = [c.get("code", "") for c in (issue.get("details") or {}).get("coding", [])]
    return {
        "row": str(index),
        "case_reference": row.get("case_reference", ""),
        "status": response.get("status", ""),
        "reason": " ".join(codes[:2]),
        "diagnostics": issue.get("diagnostics", ""),
        "location": response.get("location", ""),
    }
