"""Batch upload: valid entries applied, each invalid one reported with its reason, in order."""

import random
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import EndUser, OdsCode, Principal
from app.auth.scopes import AgencyRole
from app.cpis import service
from app.cpis.batch import process_batch
from app.cpis.models import Flag
from app.cpis.profile import CASE_REFERENCE_SYSTEM
from app.fhir.resources import Bundle
from cci_common.identifiers import nhs_number
from tests.cpis.helpers import reason_codes
from tests.fixtures.auth import AuthHeaders
from tests.fixtures.cpis import PDSRecords, flag_resource, new_ods, spine_patient

BAD_KINDS = ["invalid", "mismatch", "unknown", "backwards", "no-code"]
EXPECTED = {
    "invalid": ("400 Bad Request", "invalid-nhs-number"),
    "mismatch": ("422 Unprocessable Entity", "demographics-mismatch"),
    "unknown": ("422 Unprocessable Entity", "unknown-nhs-number"),
    "backwards": ("422 Unprocessable Entity", "end-before-start"),
    "no-code": ("400 Bad Request", "invalid-flag"),
}


def build_batch(
    spine: PDSRecords, size: int, bad_every: int, seed: int = 7
) -> tuple[dict[str, object], dict[int, str]]:
    rng = random.Random(seed)
    entries: list[dict[str, object]] = []
    bad: dict[int, str] = {}
    for index in range(size):
        number = nhs_number.generate(rng)
        spine.records[number] = spine_patient(number)
        resource = flag_resource(number=number, case_reference=f"B-{index}")
        if index % bad_every == bad_every - 1:
            kind = BAD_KINDS[len(bad) % len(BAD_KINDS)]
            bad[index] = kind
            if kind == "invalid":
                resource = flag_resource(number="9000000000", case_reference=f"B-{index}")
            elif kind == "mismatch":
                resource = flag_resource(number=number, case_reference=f"B-{index}", given="X")
            elif kind == "unknown":
                del spine.records[number]
            elif kind == "backwards":
                resource["period"] = {"start": "2024-02-02", "end": "2024-02-01"}
            else:
                del resource["code"]
        url = f"Flag?identifier={CASE_REFERENCE_SYSTEM}|B-{index}"
        entries.append({"resource": resource, "request": {"method": "PUT", "url": url}})
    return {"resourceType": "Bundle", "type": "batch", "entry": entries}, bad


async def test_a_batch_with_5_percent_bad_entries_applies_the_rest(
    client: httpx.AsyncClient,
    auth_headers: AuthHeaders,
    pds: PDSRecords,
    gateway_app: FastAPI,
) -> None:
    la = await auth_headers(AgencyRole.SOCIAL_CARE)
    bundle, bad = build_batch(pds, 400, 20)
    response = await client.post("/", json=bundle, headers=la)
    assert response.status_code == 200, response.text
    body = response.json()
    Bundle.model_validate(body)
    assert body["type"] == "batch-response"
    assert len(body["entry"]) == 400
    for index, entry in enumerate(body["entry"]):
        if index in bad:
            status, reason = EXPECTED[bad[index]]
            assert entry["response"]["status"] == status, (index, entry)
            assert reason_codes(entry["response"]["outcome"])[0] == reason
        else:
            assert entry["response"]["status"] == "201 Created", (index, entry)
            assert entry["response"]["etag"] == 'W/"1"'
    async with gateway_app.state.sessionmaker() as session:
        stored = await session.scalar(select(func.count()).select_from(Flag))
    assert stored == 400 - len(bad)
    assert len(bad) == 20
    # Re-sending the same file changes nothing and still reports every bad entry.
    again = (await client.post("/", json=bundle, headers=la)).json()
    statuses = {e["response"]["status"] for i, e in enumerate(again["entry"]) if i not in bad}
    assert statuses == {"200 OK"}


async def test_a_percent_encoded_conditional_url_is_understood(
    client: httpx.AsyncClient, auth_headers: AuthHeaders, pds: PDSRecords
) -> None:
    la = await auth_headers(AgencyRole.SOCIAL_CARE)
    number = nhs_number.generate(random.Random(11))
    pds.records[number] = spine_patient(number)
    value = quote(f"{CASE_REFERENCE_SYSTEM}|ENC-1", safe="")
    entry = {
        "resource": flag_resource(number=number, case_reference="ENC-1"),
        "request": {"method": "PUT", "url": f"Flag?identifier={value}"},
    }
    response = await client.post(
        "/", json={"resourceType": "Bundle", "type": "batch", "entry": [entry]}, headers=la
    )
    assert response.status_code == 200, response.text
    assert response.json()["entry"][0]["response"]["status"] == "201 Created"


async def test_a_non_batch_bundle_is_refused(
    client: httpx.AsyncClient, auth_headers: AuthHeaders
) -> None:
    la = await auth_headers(AgencyRole.SOCIAL_CARE)
    response = await client.post(
        "/", json={"resourceType": "Bundle", "type": "transaction"}, headers=la
    )
    assert response.status_code == 400


def _la_principal() -> Principal:
    la = new_ods()
    return Principal(
        client_id="batch-test", ods_code=OdsCode(la), organisation_name=f"{la} council",
        role=AgencyRole.SOCIAL_CARE, scopes=frozenset({"system/Flag.cruds"}),
        end_user=EndUser("u1", "Sam Taylor", "Business support officer"),
    )  # fmt: skip


async def _assert_three_committed_then_503(
    app: FastAPI, session: AsyncSession, pds: PDSRecords, seed: int
) -> None:
    """Ten entries, three per commit, with a database failure arranged by the caller for
    the second commit: three created, the rest 503, and exactly the first three stored."""
    principal = _la_principal()
    bundle, _ = build_batch(pds, 10, bad_every=1000, seed=seed)
    body = await process_batch(
        session, principal, bundle, pds.client, now=datetime.now(UTC),
        max_entries=100, spine_concurrency=4, commit_every=3,
    )  # fmt: skip
    statuses = [entry["response"]["status"] for entry in body["entry"]]
    assert statuses == ["201 Created"] * 3 + ["503 Service Unavailable"] * 7
    async with app.state.sessionmaker() as other:
        owned = select(Flag.case_reference).where(Flag.owner_ods == principal.ods_code)
        assert sorted((await other.scalars(owned)).all()) == ["B-0", "B-1", "B-2"]


async def test_a_failed_commit_fails_its_entries_and_the_rest_and_earlier_commits_stand(
    gateway_app: FastAPI, pds: PDSRecords
) -> None:
    async with gateway_app.state.sessionmaker() as session:
        commits, real_commit = 0, session.commit

        async def commit_failing_the_second_time() -> None:
            nonlocal commits
            commits += 1
            if commits == 2:
                raise ConnectionRefusedError("the database went away")
            await real_commit()

        session.commit = commit_failing_the_second_time
        await _assert_three_committed_then_503(gateway_app, session, pds, seed=21)


async def test_a_database_lost_mid_entry_fails_the_uncommitted_entries_and_the_rest(
    gateway_app: FastAPI, pds: PDSRecords, monkeypatch: pytest.MonkeyPatch
) -> None:
    applied, real_upsert = 0, service.upsert_by_case_reference

    async def losing_the_database_on_the_fifth(*args: Any, **kwargs: Any) -> Any:
        # Entries 0-2 are committed; 3 is applied but not committed when 4 fails.
        nonlocal applied
        applied += 1
        if applied == 5:
            raise ConnectionResetError("the database went away")
        return await real_upsert(*args, **kwargs)

    monkeypatch.setattr(service, "upsert_by_case_reference", losing_the_database_on_the_fifth)
    async with gateway_app.state.sessionmaker() as session:
        await _assert_three_committed_then_503(gateway_app, session, pds, seed=22)
