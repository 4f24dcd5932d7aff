"""`cci flags upload` as an LA runs it: the CLI in its own process, over real HTTP, against
the gateway served by uvicorn and the mock Spine, signing its own client assertion."""

import asyncio
import csv
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from app.auth.scopes import AgencyRole
from app.cpis import upload
from app.cpis.cli import flags_app
from app.cpis.profile import CASE_REFERENCE_SYSTEM, CPP_CATEGORY_SYSTEM, PlanType
from app.main import create_app
from tests.cpis.helpers import flags_in, new_child, searchset
from tests.fixtures.app import gateway_settings
from tests.fixtures.auth import RegisterClient, TestClient, end_user_headers
from tests.fixtures.live_server import free_port, live_server

pytestmark = pytest.mark.slow
PROJECT_ROOT = Path(__file__).resolve().parents[2]
HEADER = (
    "case_reference,nhs_number,given,family,birth_date,plan_type,category,start,end,status,"
    "la_name,office_hours_phone,out_of_hours_phone"
)
LA = "Exampleshire County Council,0300 123 4567,0300 765 4321"
USER = {"CCI_USER_ID": "u123", "CCI_USER_NAME": "Sam Taylor", "CCI_USER_ROLE": "Admin officer"}


@contextmanager
def serve_gateway(database_url: str, spine_base_url: str, **overrides: object) -> Iterator[str]:
    """The gateway over real HTTP; its public URL is the one the CLI is given (the aud)."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    settings = gateway_settings(
        database_url,
        spine_base_url=spine_base_url,
        spine_rate_limit_tps=0.0,
        public_base_url=base,
        **overrides,
    )
    with live_server(create_app(settings), port=port):
        yield base


@pytest.fixture
def gateway_url(database_url: str, spine_base_url: str) -> Iterator[str]:
    with serve_gateway(database_url, spine_base_url) as base:
        yield base


@pytest.fixture
async def la(register_client: RegisterClient) -> TestClient:
    # RS384: what `cci clients add --generate-key` gives an LA by default.
    return await register_client(AgencyRole.SOCIAL_CARE, alg="RS384")


@pytest.fixture
def key_file(la: TestClient, tmp_path: Path) -> Path:
    path = tmp_path / "la-key.json"
    path.write_text(json.dumps(la.key.as_dict(private=True)))
    return path


def arguments(csv_file: Path, la: TestClient, key_file: Path, url: str) -> list[str]:
    return [
        "upload", str(csv_file), "--client", la.client_id, "--key", str(key_file),
        "--url", url, "--chunk", "2",
    ]  # fmt: skip


async def run_cli(csv_file: Path, la: TestClient, key_file: Path, url: str) -> tuple[int, str]:
    """`cci flags upload` in its own process, the end user given by environment variables."""
    command = [sys.executable, "-m", "cci.main", "flags"]
    env = os.environ | USER | {"PYTHONPATH": str(PROJECT_ROOT)}
    process = await asyncio.create_subprocess_exec(
        *command, *arguments(csv_file, la, key_file, url), cwd=PROJECT_ROOT, env=env,
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    _, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode is not None
    return process.returncode, stderr.decode()


async def run_in_process(args: list[str]) -> tuple[int, str]:
    """The same command in this process (a process costs ~3 s of imports)."""
    result = await asyncio.to_thread(CliRunner(env=USER).invoke, flags_app, args)
    return result.exit_code, result.stderr


def report_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


async def test_upload_applies_the_good_rows_and_reports_every_row(
    gateway_url: str, spine_base_url: str, la: TestClient, key_file: Path, tmp_path: Path
) -> None:
    async with httpx.AsyncClient(base_url=gateway_url, timeout=20) as http:
        ava = await new_child(http, spine_base_url)
        ben = await new_child(
            http, spine_base_url, given=["Ben"], family="Okafor", gender="male",
            birth_date="2012-11-30",
        )  # fmt: skip
        a, b = ava["nhs_number"], ben["nhs_number"]
        csv_file = tmp_path / "caseload.csv"
        lines = [
            HEADER,
            f"UP-1,{a},Ava-Rose,Nowak,2016-03-09,cpp,Neglect,2024-01-15,,,{LA}",
            f"UP-2,{b},BEN,okafor,2012-11-30,lac,,2024-02-01,,active,{LA}",
            "",  # a blank line is skipped, and the report still names file lines
            f"UP-3,{b},Ben,Okafor,2012-12-30,cpp,,2024-02-01,,,{LA}",
            f"UP-4,9000000000,Ava-Rose,Nowak,2016-03-09,cpp,,2024-01-15,,,{LA}",
            f"UP-5,{a},Ava-Rose,Nowak,2016-03-09,xyz,,2024-01-15,,,{LA}",
        ]
        csv_file.write_text("\n".join(lines) + "\n")
        code, stderr = await run_cli(csv_file, la, key_file, gateway_url)
        assert code == 2, stderr
        assert "2 applied, 3 refused" in stderr
        report = report_rows(tmp_path / "caseload.results.csv")
        assert [(r["row"], r["case_reference"], r["status"], r["reason"]) for r in report] == [
            ("2", "UP-1", "201 Created", ""),
            ("3", "UP-2", "201 Created", ""),
            ("5", "UP-3", "422 Unprocessable Entity", "demographics-mismatch CPR03"),
            ("6", "UP-4", "400 Bad Request", "invalid-nhs-number CPR04"),
            ("7", "UP-5", "400 Bad Request", "invalid-flag"),
        ]
        assert report[0]["location"].startswith("Flag/")
        assert report[0]["location"].endswith("/_history/1")
        assert report[2]["location"] == ""
        assert report[2]["diagnostics"]

        headers = await la_headers(http, la, gateway_url)
        flags = await flags_by_case(http, headers, a, b)
        assert sorted(flags) == ["UP-1", "UP-2"]
        ava_flag, ben_flag = flags["UP-1"], flags["UP-2"]
        assert ava_flag["id"] == report[0]["location"].split("/")[1]
        assert ava_flag["code"]["coding"][0]["code"] == PlanType.CHILD_PROTECTION_PLAN
        categories = {
            c["coding"][0]["system"]: c["coding"][0]["code"] for c in ava_flag["category"]
        }
        assert categories[CPP_CATEGORY_SYSTEM] == "neglect"
        assert ava_flag["period"]["start"] == "2024-01-15"
        assert ava_flag["status"] == "active"
        assert ben_flag["code"]["coding"][0]["code"] == PlanType.LOOKED_AFTER_CHILD
        assert ben_flag["subject"]["identifier"]["value"] == b
        phones = [c["telecom"][0]["value"] for c in ben_flag["contained"][0]["contact"]]
        assert phones == ["0300 123 4567", "0300 765 4321"]

        # The daily file again: nothing new, the same refusals.
        code, stderr = await run_in_process(arguments(csv_file, la, key_file, gateway_url))
        assert code == 2, stderr
        again = report_rows(tmp_path / "caseload.results.csv")
        assert [r["status"] for r in again] == ["200 OK", "200 OK"] + [
            r["status"] for r in report[2:]
        ]
        assert [r["location"] for r in again[:2]] == [r["location"] for r in report[:2]]
        assert await flags_by_case(http, headers, a, b) == flags


async def test_a_refused_credential_stops_before_anything_is_sent(
    gateway_url: str, la: TestClient, key_file: Path, tmp_path: Path
) -> None:
    csv_file = tmp_path / "caseload.csv"
    csv_file.write_text(f"{HEADER}\nUP-1,9449305552,A,B,2015-06-01,cpp,,2024-01-15,,,{LA}\n")
    args = arguments(csv_file, la, key_file, gateway_url)
    args[args.index(la.client_id)] = "not-a-client"
    code, stderr = await run_in_process(args)
    assert code == 1
    assert "token request refused (400)" in stderr
    assert "invalid_client" in stderr
    assert not (tmp_path / "caseload.results.csv").exists()


async def test_a_file_without_required_columns_is_refused_up_front(
    gateway_url: str, la: TestClient, key_file: Path, tmp_path: Path
) -> None:
    csv_file = tmp_path / "caseload.csv"
    csv_file.write_text("case_reference,NHS_Number ,given\nUP-1,9449305552,A\n")
    code, stderr = await run_in_process(arguments(csv_file, la, key_file, gateway_url))
    assert code == 1
    assert "has no column plan_type, start" in stderr  # nhs_number found despite case/space


async def test_a_batch_refused_whole_reports_its_rows_as_not_confirmed(
    database_url: str, spine_base_url: str, la: TestClient, key_file: Path, tmp_path: Path
) -> None:
    csv_file = tmp_path / "caseload.csv"
    row = f"9449305552,A,B,2015-06-01,cpp,,2024-01-15,,,{LA}"
    csv_file.write_text("\n".join([HEADER, *(f"UP-{n},{row}" for n in range(3))]) + "\n")
    with serve_gateway(database_url, spine_base_url, cpis_batch_max_entries=1) as small:
        code, stderr = await run_in_process(arguments(csv_file, la, key_file, small))
    assert code == 1
    assert "batch refused (400)" in stderr
    assert "0 applied, 0 refused, 3 not confirmed" in stderr
    report = report_rows(tmp_path / "caseload.results.csv")
    assert [(r["row"], r["status"]) for r in report] == [
        ("2", "not confirmed"),
        ("3", "not confirmed"),
        ("4", "not confirmed"),
    ]
    assert "at most 1 entries" in report[0]["diagnostics"]


async def test_a_token_the_gateway_no_longer_accepts_is_renewed(
    gateway_url: str, spine_base_url: str, la: TestClient, key_file: Path
) -> None:
    async with httpx.AsyncClient(base_url=gateway_url, timeout=20) as http:
        child = (await new_child(http, spine_base_url))["nhs_number"]
    row = upload.Row(2, {
        "case_reference": "UP-T", "nhs_number": child, "given": "Ava-Rose", "family": "Nowak",
        "birth_date": "2016-03-09", "plan_type": "cpp", "start": "2024-01-15",
        "la_name": "Exampleshire", "office_hours_phone": "1", "out_of_hours_phone": "2",
    })  # fmt: skip
    end_user = end_user_headers()
    with upload.Uploader(gateway_url, la.client_id, upload.load_key(key_file), end_user) as client:
        await asyncio.to_thread(client.authenticate)
        first = client.token
        client.token = first[:-4] + "AAAA"  # e.g. signed with a key since retired: a 401
        [entry] = await asyncio.to_thread(client.post, [row])
        assert entry["response"]["status"] == "201 Created"
        renewed = client.token
        assert renewed not in {first, first[:-4] + "AAAA"}
        client.expires_at = 0.0  # an expired token is renewed before the batch is sent
        [entry] = await asyncio.to_thread(client.post, [row])
        assert entry["response"]["status"] == "200 OK"
        assert client.token != renewed


async def la_headers(http: httpx.AsyncClient, la: TestClient, gateway_url: str) -> dict[str, str]:
    token = await http.post("/oauth2/token", data=la.token_form(aud=f"{gateway_url}/oauth2/token"))
    assert token.status_code == 200, token.text
    return {"Authorization": f"Bearer {token.json()['access_token']}"} | end_user_headers()


async def flags_by_case(
    http: httpx.AsyncClient, headers: dict[str, str], *numbers: str
) -> dict[str, dict[str, Any]]:
    """The LA's own flags on these children, by case reference."""
    found: dict[str, dict[str, Any]] = {}
    for number in numbers:
        bundle = searchset(await http.get(f"/Flag?patient={number}", headers=headers))
        for flag in flags_in(bundle):
            [case] = [
                i["value"] for i in flag["identifier"] if i["system"] == CASE_REFERENCE_SYSTEM
            ]
            found[case] = flag
    return found
