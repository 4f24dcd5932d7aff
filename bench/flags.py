"""CP-IS flag benchmark: reads (with audit, access-event and outbox writes) at 1, 10 and 50
concurrent clients side by side with the same reads with recording switched off; flag
writes side by side with a bare asyncpg transaction doing the same inserts; bulk upload
rate; notification delivery lag. Prints one table.

    python bench/flags.py [--children 200] [--seconds 8] [--rounds 4] [--batch 2000] [--workers 1]

Gateways (recording on and off, each `--workers` uvicorn processes), the mock Spine
and a `cci worker` run as their own processes on ports 8400/8401/9400; the database
is `CCI_DATABASE_URL`'s server or an embedded PostgreSQL in /tmp/cpis-bench. Reads
are sent by a lean keep-alive HTTP client (`bench.http_load`), so the load generator
takes little of the two CPUs the gateway is measured on; at each level the recorded
and unrecorded gateways take turns in `--rounds` slices of `--seconds` in all, so a
drift in the machine's speed falls on both alike. The write ratio compares
the gateway's own write transaction, timed in-process with the Spine's answer fetched
beforehand, with a bare asyncpg transaction doing the same inserts; the end-to-end
HTTP write (token check, Spine verification, parsing, rendering) is reported beside it.
"""

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import time
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

import asyncpg
import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.auth import clients  # noqa: E402
from app.auth.principal import EndUser, OdsCode, Principal  # noqa: E402
from app.auth.scopes import AgencyRole  # noqa: E402
from app.cpis import service  # noqa: E402
from app.cpis.parsing import parse_flag  # noqa: E402
from app.cpis.profile import CASE_REFERENCE_SYSTEM  # noqa: E402
from app.cpis.upload import client_assertion  # noqa: E402
from app.db import create_engine, create_sessionmaker  # noqa: E402
from app.migrations import upgrade_database  # noqa: E402
from app.settings import Settings  # noqa: E402
from app.trace.spine_client import SpineClient  # noqa: E402
from app.trace.spine_models import RetrieveResult  # noqa: E402
from bench.http_load import closed_loop  # noqa: E402
from cci.database import ensure_database, plain_url, start_embedded, with_database  # noqa: E402
from cci_common.identifiers import nhs_number  # noqa: E402
from tests.fixtures.cpis import flag_resource  # noqa: E402

AUDITED, SILENT, SPINE, HOOK = 8400, 8401, 9400, 8402
SPINE_PATH = "/personal-demographics/FHIR/R4"
USER = {"X-End-User-Id": "b-1", "X-End-User-Name": "Bench User", "X-End-User-Role": "Nurse"}
UNLIMITED = {role.value: {"per_second": 1e6, "burst": 1_000_000} for role in AgencyRole}


def spawn_worker(env: dict[str, str]) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "cci.main", "worker"]
    return subprocess.Popen(command, env=os.environ | env | {"PYTHONPATH": str(ROOT)})  # noqa: S603


def spread(values: list[float]) -> str:
    return f"{pct(values, 50):.1f}/{pct(values, 95):.1f}/{pct(values, 99):.1f}"


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))] * 1000


def spawn(module: str, port: int, env: dict[str, str], workers: int = 1) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "uvicorn", "--factory", module, "--port", str(port)]
    command += ["--no-access-log", "--log-level", "warning", "--workers", str(workers)]
    return subprocess.Popen(command, env=os.environ | env | {"PYTHONPATH": str(ROOT)})  # noqa: S603


async def wait_up(url: str) -> None:
    async with httpx.AsyncClient() as http:
        for _ in range(200):
            try:
                if (await http.get(url)).status_code < 500:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError(f"{url} did not start")


async def databases() -> tuple[str, str]:
    server = os.environ.get("CCI_DATABASE_URL") or start_embedded(Path("/tmp/cpis-bench"))  # noqa: S108
    suffix = uuid.uuid4().hex[:6]
    urls = []
    for name in (f"bench_gateway_{suffix}", f"bench_spine_{suffix}"):
        await ensure_database(server, name)
        urls.append(with_database(server, name))
    return urls[0], urls[1]


def note(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


async def token(
    http: httpx.AsyncClient, base: str, role: AgencyRole, engine_url: str
) -> dict[str, str]:
    key = clients.generate_client_key("ES384")
    engine = create_engine(engine_url, pool_size=1, max_overflow=0)
    async with create_sessionmaker(engine)() as session:
        registered = await clients.register(
            session, role=role, ods_code=f"B{uuid.uuid4().hex[:5].upper()}",
            organisation_name=f"Bench {role}", jwks={"keys": [key.as_dict(private=False)]},
        )  # fmt: skip
        await session.commit()
    await engine.dispose()
    form = {
        "grant_type": "client_credentials",
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        "client_assertion": client_assertion(registered.id, key, f"{base}/oauth2/token"),
    }
    response = await http.post(f"{base}/oauth2/token", data=form)
    response.raise_for_status()
    return {"Authorization": f"Bearer {response.json()['access_token']}"} | USER


async def load(
    url: str, headers: list[dict[str, str]], numbers: list[str], clients_: int, seconds: float
) -> tuple[list[float], float]:
    def request(rng: random.Random) -> tuple[str, dict[str, str]]:
        return f"/Flag?patient={rng.choice(numbers)}", headers[rng.randrange(len(headers))]

    latencies, rate = await closed_loop(url, clients_, seconds, request)
    note(f"{url} x{clients_}: {rate:.0f} req/s, p50/p95/p99 {spread(latencies)} ms")
    return latencies, rate


BARE_FLAG = """INSERT INTO cpis_flag (id, version_id, owner_ods, owner_name, office_hours_phone,
 out_of_hours_phone, case_reference, nhs_number, uploaded_nhs_number, plan_type, abuse_category,
 period_start, status, adult_on, subject_state, created_at, last_updated)
 VALUES ($1, 1, 'BARE1', 'Bare LA', '0300', '0301', $2, $3, $3, '342191000000101', 'neglect',
 $4, 'active', $5, 'active', now(), now())"""
BARE_HEAD = """INSERT INTO bench_head (id, last_seq) VALUES (1, 0) ON CONFLICT (id)
 DO UPDATE SET last_seq = bench_head.last_seq + 1 RETURNING last_seq"""
BARE_AUDIT = """INSERT INTO bench_audit (seq, recorded, client_id, ods_code, action, resource_type,
 resource_id, owner_ods, outcome, detail, prev_hash, hash)
 VALUES ($1, now(), 'bare', 'BARE1', 'create', 'Flag', $2, 'BARE1', '0', 'x', $3, $3)"""


async def bare_writes(url: str, count: int) -> list[float]:
    connection = await asyncpg.connect(plain_url(url))
    await connection.execute(
        "CREATE TABLE IF NOT EXISTS bench_audit"
        " (LIKE audit_events INCLUDING DEFAULTS INCLUDING INDEXES)"
    )
    await connection.execute(
        "CREATE TABLE IF NOT EXISTS bench_head (id int PRIMARY KEY, last_seq bigint)"
    )
    rng, times = random.Random(3), []
    for index in range(count):
        number = nhs_number.generate(rng)
        started = time.perf_counter()
        async with connection.transaction():
            await connection.execute(
                BARE_FLAG, uuid.uuid4(), f"BARE-{index}", number, date(2024, 1, 1), date(2033, 1, 1)
            )
            seq = await connection.fetchval(BARE_HEAD)
            await connection.execute(BARE_AUDIT, seq + 1_000_000, number, os.urandom(32))
        times.append(time.perf_counter() - started)
    await connection.close()
    return times


class Answered:
    """The Spine's real answers, fetched beforehand, so the clock covers only the write."""

    def __init__(self, answers: dict[str, RetrieveResult]) -> None:
        self._answers = answers

    async def retrieve(self, number: str, *, deadline: float | None = None) -> RetrieveResult:
        return self._answers[number]


async def transaction_writes(
    url: str, http: httpx.AsyncClient, count: int, settings: Settings
) -> list[float]:
    """The gateway's own write transaction in-process (`service.create`: case-reference
    check, flag insert, chained audit row, commit), timed from session open to commit."""
    people = []
    for index in range(count):
        child = {"given": ["Txn"], "family": f"Child{index}", "gender": "male",
                 "birth_date": "2014-05-05"}  # fmt: skip
        created = await http.post(f"http://127.0.0.1:{SPINE}/_admin/patients", json=child)
        people.append((index, created.json()["nhs_number"]))
    spine = SpineClient.from_settings(settings)
    answers = {number: await spine.retrieve(number) for _, number in people}
    await spine.aclose()
    engine = create_engine(url, pool_size=2, max_overflow=0)
    sessions = create_sessionmaker(engine)
    principal = Principal(
        client_id="bench-txn", ods_code=OdsCode("TXN01"), organisation_name="Bench LA",
        role=AgencyRole.SOCIAL_CARE, scopes=frozenset({"system/Flag.cruds"}),
        end_user=EndUser("b-1", "Bench User", "Social worker"),
    )  # fmt: skip
    times = []
    for index, number in people:
        resource = flag_resource(
            number=number, given="Txn", family=f"Child{index}", birth_date="2014-05-05",
            case_reference=f"TXN-{index}",
        )  # fmt: skip
        data = parse_flag(resource)
        started = time.perf_counter()
        async with sessions() as session:
            await service.create(session, principal, data, Answered(answers), datetime.now(UTC))
            await session.commit()
        times.append(time.perf_counter() - started)
    await engine.dispose()
    return times


def receiver(lags: list[float]) -> Starlette:
    async def hook(request: Request) -> Response:
        event = json.loads(await request.body())
        sent = datetime.fromisoformat(event["recorded"])
        lags.append((datetime.now(UTC) - sent).total_seconds())
        return Response(status_code=200)

    return Starlette(routes=[Route("/hook", hook, methods=["POST"])])


async def main(args: argparse.Namespace) -> None:
    gateway_url, spine_url = await databases()
    await asyncio.to_thread(upgrade_database, gateway_url)
    from mock_spine.generator.seed import seed_population

    await seed_population(spine_url, size=1000, seed=1, workers=1)
    common = {"CCI_DATABASE_URL": gateway_url, "CCI_SPINE_RATE_LIMIT_TPS": "0",
              "CCI_SPINE_BASE_URL": f"http://127.0.0.1:{SPINE}{SPINE_PATH}",
              "CCI_RATE_LIMITS": json.dumps(UNLIMITED), "CCI_LOG_LEVEL": "WARNING",
              "CCI_DB_POOL_SIZE": str(16 // args.workers), "CCI_DB_MAX_OVERFLOW": "4",
              "CCI_CPIS_BATCH_SPINE_CONCURRENCY": "16"}  # fmt: skip
    processes = [
        spawn("mock_spine.main:create_app", SPINE,
              {"CCI_SPINE_DATABASE_URL": spine_url, "CCI_SPINE_ADMIN_ENABLED": "true"}),
        spawn("app.main:create_app", AUDITED,
              common | {"CCI_PUBLIC_BASE_URL": f"http://127.0.0.1:{AUDITED}"}, args.workers),
        spawn("app.main:create_app", SILENT, common | {
            "CCI_PUBLIC_BASE_URL": f"http://127.0.0.1:{SILENT}", "CCI_CPIS_RECORD_READS": "false"},
            args.workers),
    ]  # fmt: skip
    rows: list[tuple[str, str]] = []
    try:
        for port in (SPINE, AUDITED, SILENT):
            await wait_up(f"http://127.0.0.1:{port}/_ping")
        async with httpx.AsyncClient(timeout=120) as http:
            audited, silent = f"http://127.0.0.1:{AUDITED}", f"http://127.0.0.1:{SILENT}"
            la = await token(http, audited, AgencyRole.SOCIAL_CARE, gateway_url)
            # Children in the Spine and their plans, written one at a time (write latency).
            numbers, writes = [], []
            for index in range(args.children):
                child = {"given": ["Bench"], "family": f"Child{index}", "gender": "female",
                         "birth_date": "2016-03-09"}  # fmt: skip
                created = await http.post(f"http://127.0.0.1:{SPINE}/_admin/patients", json=child)
                number = created.json()["nhs_number"]
                plan = flag_resource(number=number, given="Bench", family=f"Child{index}",
                                     birth_date="2016-03-09")  # fmt: skip
                started = time.perf_counter()
                response = await http.post(f"{audited}/Flag", json=plan, headers=la)
                writes.append(time.perf_counter() - started)
                assert response.status_code == 201, response.text
                numbers.append(number)
            note(f"writes done: p50 {pct(writes, 50):.1f} ms")
            bare = await bare_writes(gateway_url, args.children)
            spine_settings = Settings(spine_base_url=common["CCI_SPINE_BASE_URL"],
                                      spine_rate_limit_tps=0)  # fmt: skip
            in_process = await transaction_writes(gateway_url, http, args.children, spine_settings)
            spine_times = []
            for number in numbers[:100]:
                started = time.perf_counter()
                await http.get(f"http://127.0.0.1:{SPINE}{SPINE_PATH}/Patient/{number}",
                               headers={"X-Request-ID": str(uuid.uuid4())})  # fmt: skip
                spine_times.append(time.perf_counter() - started)
            w50, b50, s50 = pct(writes, 50), pct(bare, 50), pct(spine_times, 50)
            rows.append(("flag write p50 / p95 (HTTP: auth, Spine check, flag+audit)",
                         f"{w50:.1f} / {pct(writes, 95):.1f} ms"))  # fmt: skip
            rows.append(("bare asyncpg txn p50 (flag + chain head + audit)", f"{b50:.2f} ms"))
            rows.append(
                ("  Spine retrieve p50 inside each write (mock Spine, HTTP)", f"{s50:.1f} ms")
            )
            rows.append(("write / bare ratio (p50); excluding the Spine call",
                         f"{w50 / b50:.1f}x; {(w50 - s50) / b50:.1f}x"))  # fmt: skip
            t50 = pct(in_process, 50)
            rows.append(("write transaction p50 / p95 (in-process: flag + audit, commit)",
                         f"{t50:.2f} / {pct(in_process, 95):.2f} ms"))  # fmt: skip
            rows.append(("write transaction / bare ratio (p50), target <= 3x", f"{t50 / b50:.1f}x"))

            readers = [await token(http, audited, AgencyRole.HEALTH_UNSCHEDULED, gateway_url)
                       for _ in range(20)]  # fmt: skip
            silent_readers = [await token(http, silent, AgencyRole.HEALTH_UNSCHEDULED, gateway_url)
                              for _ in range(20)]  # fmt: skip
            # Half the reads find a plan; the other half ask for as many children without.
            rng, planned = random.Random(9), set(numbers)
            unflagged = [n for n in (nhs_number.generate(rng) for _ in numbers) if n not in planned]
            targets = numbers + unflagged
            await load(audited, readers, targets, 4, 2)  # warm up both
            await load(silent, silent_readers, targets, 4, 2)
            for level in (1, 10, 50):
                # Alternating slices, so a machine whose speed drifts (other tenants, CPU
                # steal) slows both sides alike rather than whichever ran second.
                on: list[float] = []
                off: list[float] = []
                on_seconds = off_seconds = 0.0
                for _ in range(args.rounds):
                    slice_ = args.seconds / args.rounds
                    latencies, rate = await load(audited, readers, targets, level, slice_)
                    on, on_seconds = on + latencies, on_seconds + len(latencies) / rate
                    latencies, rate = await load(silent, silent_readers, targets, level, slice_)
                    off, off_seconds = off + latencies, off_seconds + len(latencies) / rate
                rate_on, rate_off = len(on) / on_seconds, len(off) / off_seconds
                rows.append(
                    (
                        f"reads x{level}: recorded  req/s, p50/p95/p99 ms",
                        f"{rate_on:7.0f}  {spread(on)}",
                    )
                )
                rows.append(
                    (
                        f"reads x{level}: not recorded req/s, p50/p95/p99 ms",
                        f"{rate_off:7.0f}  {spread(off)}",
                    )
                )
                rows.append((f"reads x{level}: recorded / not recorded throughput",
                             f"{100 * rate_on / rate_off:.0f}%"))  # fmt: skip

            note("reads done")
            # Bulk upload: new children, 5% bad entries.
            rng, entries, bad = random.Random(5), [], 0
            spine_admin = f"http://127.0.0.1:{SPINE}/_admin/patients"
            limit = asyncio.Semaphore(16)  # httpcore degrades with thousands queued at once

            async def new_person(index: int) -> httpx.Response:
                person = {"given": ["Bulk"], "family": f"Row{index}", "gender": "male",
                          "birth_date": "2012-02-02"}  # fmt: skip
                async with limit:
                    return await http.post(spine_admin, json=person)

            people = await asyncio.gather(*(new_person(i) for i in range(args.batch)))
            for index, person in enumerate(people):
                number = person.json()["nhs_number"]
                given = "Bulk" if rng.random() >= 0.05 else "Wrong"
                bad += given == "Wrong"
                resource = flag_resource(
                    number=number, given=given, family=f"Row{index}",
                    birth_date="2012-02-02", case_reference=f"BULK-{index}",
                )  # fmt: skip
                url = f"Flag?identifier={CASE_REFERENCE_SYSTEM}|BULK-{index}"
                entries.append({"resource": resource, "request": {"method": "PUT", "url": url}})
            bundle = {"resourceType": "Bundle", "type": "batch", "entry": entries}
            note("bulk upload starting")
            started = time.perf_counter()
            response = await http.post(f"{audited}/", json=bundle, headers=la, timeout=1800)
            elapsed = time.perf_counter() - started
            statuses = [e["response"]["status"][:3] for e in response.json()["entry"]]
            created_count = statuses.count("201")
            refused = len(statuses) - created_count
            rows.append((f"bulk upload {args.batch} entries ({bad} bad)",
                         f"{args.batch / elapsed:.0f} entries/s ({elapsed:.1f} s; "
                         f"{created_count} created, {refused} refused)"))  # fmt: skip

            # Notification lag: LA webhook, `cci worker` process, reads by new organisations.
            lags: list[float] = []
            config = uvicorn.Config(receiver(lags), port=HOOK, log_level="warning")
            hook_server = uvicorn.Server(config)
            hook_task = asyncio.create_task(hook_server.serve())
            channel = {"type": "rest-hook", "endpoint": f"http://127.0.0.1:{HOOK}/hook",
                       "payload": "application/fhir+json"}  # fmt: skip
            subscription = {"resourceType": "Subscription", "status": "requested",
                            "reason": "bench", "criteria": "AuditEvent",
                            "channel": channel}  # fmt: skip
            assert (
                await http.post(f"{audited}/Subscription", json=subscription, headers=la)
            ).status_code == 201
            worker_env = common | {"CCI_CPIS_WORKER_POLL_SECONDS": str(args.poll)}
            worker = spawn_worker(worker_env)
            processes.append(worker)
            await asyncio.sleep(2)
            fresh = [await token(http, audited, AgencyRole.HEALTH_UNSCHEDULED, gateway_url)
                     for _ in range(10)]  # fmt: skip
            for index in range(50):
                await http.get(
                    f"{audited}/Flag?patient={numbers[index]}", headers=fresh[index % 10]
                )
                await asyncio.sleep(0.05)
            for _ in range(100):
                if len(lags) >= 50:
                    break
                await asyncio.sleep(0.1)
            rows.append((f"notification lag (worker poll {args.poll}s) p50/p95/max",
                         f"{pct(lags, 50):.0f}/{pct(lags, 95):.0f}/{max(lags) * 1000:.0f} ms "
                         f"({len(lags)} of 50 delivered)"))  # fmt: skip
            hook_server.should_exit = True
            await hook_task
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=20)
    width = max(len(name) for name, _ in rows)
    print(
        f"\nCP-IS flags benchmark ({os.cpu_count()} CPUs, {args.children} plans, "
        f"{args.workers} gateway process(es))\n"
    )
    for name, value in rows:
        print(f"{name:<{width}}  {value}")


if __name__ == "__main__":
    import faulthandler
    import signal

    faulthandler.register(signal.SIGUSR1)
    parser = argparse.ArgumentParser()
    parser.add_argument("--children", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--batch", type=int, default=2000)
    parser.add_argument("--poll", type=float, default=0.2)
    parser.add_argument("--rounds", type=int, default=4, help="alternating slices per level")
    # Gateway processes per gateway (uvicorn --workers); rate limits are per process.
    parser.add_argument("--workers", type=int, default=1)
    asyncio.run(main(parser.parse_args()))
