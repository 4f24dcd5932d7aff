"""`cci flags upload`: an LA's CSV as FHIR batch Bundles over HTTP, for LAs without FHIR.

Each row becomes a conditional update (`PUT Flag?identifier=<case reference>`), so
a daily file of the whole caseload is idempotent. The CLI is an ordinary API
client: it signs a client assertion (RFC 7523) with the LA's key, gets a token
(renewed before it expires: a large file outlasts one), and posts chunks; every
row's result is written to a report CSV, under the row's line number in the file.

Columns: case_reference, nhs_number, given, family, birth_date, plan_type
(cpp | lac | ucpp, or the SNOMED code), category, start, end, status, la_name,
office_hours_phone, out_of_hours_phone.
"""

import csv
import time
import uuid
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
REQUIRED_COLUMNS = ("case_reference", "nhs_number", "plan_type", "start")
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
# Renew the token this long before it expires, so no chunk is sent with a dying one.
TOKEN_MARGIN_SECONDS = 60.0


class UploadError(Exception):
    """The file could not be read, or the gateway refused the token or a whole batch."""


@dataclass(frozen=True, slots=True)
class Row:
    line: int  # the row's line in the file, as a spreadsheet numbers it
    cells: dict[str, str]


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
    organisation = _present(
        {"resourceType": "Organization", "id": "la", "name": _cell(row, "la_name")}
    ) | {"contact": contacts}
    category = _cell(row, "category")
    return {
        "resourceType": "Flag",
        "contained": [patient, organisation],
        "identifier": [
            _present({"system": CASE_REFERENCE_SYSTEM, "value": _cell(row, "case_reference")})
        ],
        "status": _cell(row, "status") or "active",
        "category": (
            [{"coding": [{"system": CPP_CATEGORY_SYSTEM, "code": category.lower()}]}]
            if category
            else []
        ),
        "code": {"coding": [{"system": SNOMED, "code": str(code)}]},
        "subject": {
            "reference": "#subject",
            "identifier": _present(
                {"system": nhs_number.SYSTEM, "value": _cell(row, "nhs_number")}
            ),
        },
        "period": _present({"start": _cell(row, "start"), "end": _cell(row, "end")}),
        "author": {"reference": "#la"},
    }


def _present(values: dict[str, str | None]) -> dict[str, str]:
    # FHIR JSON has no nulls: an empty cell leaves the element out.
    return {key: value for key, value in values.items() if value is not None}


def batch_entry(row: dict[str, str]) -> dict[str, Any]:
    case = _cell(row, "case_reference") or ""
    return {
        "resource": row_to_flag(row),
        "request": {"method": "PUT", "url": f"Flag?identifier={CASE_REFERENCE_SYSTEM}|{case}"},
    }


def read_rows(path: Path) -> list[Row]:
    """The file's rows with their line numbers (blank lines are skipped, not counted as rows);
    header names are matched ignoring case and surrounding spaces."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            header = [name.strip().lower() for name in next(reader, [])]
            missing = [name for name in REQUIRED_COLUMNS if name not in header]
            if missing:
                raise UploadError(f"{path.name} has no column {', '.join(missing)}")
            return [
                Row(reader.line_num, dict(zip(header, values, strict=False)))
                for values in reader
                if any(value.strip() for value in values)
            ]
    except (UnicodeDecodeError, csv.Error) as exc:
        raise UploadError(f"{path.name} is not a UTF-8 CSV file: {exc}") from None


def load_key(path: Path) -> Key:
    """The client's private JWK, as `cci clients add --generate-key` writes it."""
    try:
        data = orjson.loads(path.read_bytes())
        key: Key = ECKey.import_key(data) if data.get("kty") == "EC" else RSAKey.import_key(data)
    except Exception as exc:  # joserfc raises several types for a malformed key
        raise UploadError(f"{path.name} is not a private JWK: {type(exc).__name__}") from None
    if not key.is_private:
        raise UploadError(f"{path.name} holds a public key; the private JWK signs assertions")
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


class Uploader:
    """A token-holding client of one gateway; use as a context manager."""

    def __init__(self, base_url: str, client_id: str, key: Key, end_user: dict[str, str]) -> None:
        base_url = base_url.rstrip("/")
        # A chunk is verified against the Spine row by row (rate limited): minutes, not seconds.
        self.http = httpx.Client(base_url=base_url, timeout=httpx.Timeout(600, connect=10))
        self.token_url = f"{base_url}/oauth2/token"
        self.client_id = client_id
        self.key = key
        self.end_user = end_user
        self.token = ""
        self.expires_at = 0.0

    def __enter__(self) -> "Uploader":
        return self

    def __exit__(self, *_: object) -> None:
        self.http.close()

    def authenticate(self) -> None:
        """A new access token (system/Flag.cud) for a fresh client assertion."""
        started = time.monotonic()
        response = self._send(
            "token request",
            "/oauth2/token",
            data={
                "grant_type": "client_credentials",
                "client_assertion_type": ASSERTION_TYPE,
                "client_assertion": client_assertion(self.client_id, self.key, self.token_url),
                "scope": "system/Flag.cud",
            },
        )
        if response.status_code != 200:
            raise UploadError(f"token request refused ({response.status_code}): {response.text}")
        body = response.json()
        self.token = body["access_token"]
        self.expires_at = started + float(body.get("expires_in", 0))

    def post(self, rows: list[Row]) -> list[dict[str, Any]]:
        """One batch; each entry's result, in the rows' order."""
        bundle = {
            "resourceType": "Bundle",
            "type": "batch",
            "entry": [batch_entry(row.cells) for row in rows],
        }
        content = orjson.dumps(bundle)
        if time.monotonic() > self.expires_at - TOKEN_MARGIN_SECONDS:
            self.authenticate()
        response = self._post_batch(content)
        if response.status_code == 401:
            # Revoked early (e.g. a rotated signing key): one retry with a new token.
            self.authenticate()
            response = self._post_batch(content)
        if response.status_code != 200:
            raise UploadError(f"batch refused ({response.status_code}): {response.text[:500]}")
        entries: list[dict[str, Any]] = response.json().get("entry") or []
        if len(entries) != len(rows):
            raise UploadError(f"the gateway answered {len(entries)} entries for {len(rows)} rows")
        return entries

    def _post_batch(self, content: bytes) -> httpx.Response:
        headers = self.end_user | {
            "Authorization": f"Bearer {self.token}",
            "Content-Type": "application/fhir+json",
        }
        return self._send("batch", "/", content=content, headers=headers)

    def _send(self, what: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            return self.http.post(path, **kwargs)
        except httpx.HTTPError as exc:
            raise UploadError(f"{what} failed: {type(exc).__name__} {exc}") from None


REPORT_COLUMNS = ("row", "case_reference", "status", "reason", "diagnostics", "location")
# A row in (or after) a batch that failed as a whole: it may or may not have been applied.
NOT_CONFIRMED = "not confirmed"


def result_row(row: Row, entry: dict[str, Any]) -> dict[str, str]:
    response = entry.get("response", {})
    outcome = response.get("outcome") or {}
    issue = (outcome.get("issue") or [{}])[0]
    codes = [c.get("code", "") for c in (issue.get("details") or {}).get("coding", [])]
    return {
        "row": str(row.line),
        "case_reference": row.cells.get("case_reference", ""),
        "status": response.get("status", ""),
        "reason": " ".join(codes[:2]),
        "diagnostics": issue.get("diagnostics", ""),
        "location": response.get("location", ""),
    }


def not_confirmed_row(row: Row, reason: str) -> dict[str, str]:
    return dict.fromkeys(REPORT_COLUMNS, "") | {
        "row": str(row.line),
        "case_reference": row.cells.get("case_reference", ""),
        "status": NOT_CONFIRMED,
        "diagnostics": reason,
    }
