"""Auth and audit cost: token issuance per second, and the latency a token check plus an
audit write add to a trivial route, measured side by side (interleaved) in one run.

    python bench/auth.py [--requests 2000] [--tokens 500]

In-process (httpx's ASGI transport), so the three routes share every cost but the one
measured: `plain` (a request session, no auth), `auth` (+ token verification, client
status and rate limit), `auth+audit` (+ an audit row chained and committed), and for
scale `transaction` (no auth; one `SELECT 1` in a committed transaction, which any real
route on a child's data pays anyway and which the audit write then shares). Beside
them, `bare append`: the same chained audit append sent straight on asyncpg, no
gateway at all, in the same loop: the floor any durable audit write pays here. The
database is `CCI_DATABASE_URL`'s server or an embedded PostgreSQL in /tmp/auth-bench.
"+CPU ms" is this process's CPU per request beyond `plain` (the database's is not in it),
which stays meaningful when other work shares the machine and wall times do not.
"""

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import asyncpg
import httpx
from fastapi import APIRouter
from sqlalchemy import text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.audit.repository import APPEND_ONE, append_statement  # noqa: E402
from app.audit.service import AuditAction, audit_row, record  # noqa: E402
from app.audit.writer import asyncpg_dsn  # noqa: E402
from app.auth.dependencies import PatientReader  # noqa: E402
from app.auth.principal import OdsCode, Principal  # noqa: E402
from app.auth.scopes import AgencyRole  # noqa: E402
from app.db import DriverStatement, SessionDep  # noqa: E402
from app.main import create_app  # noqa: E402
from app.migrations import upgrade_database  # noqa: E402
from app.settings import Environment, Settings  # noqa: E402
from cci.database import drop_database, ensure_database, start_embedded, with_database  # noqa: E402
from tests.fixtures.auth import end_user_headers, register_client_in  # noqa: E402

BASE = "http://gateway.bench"
DATABASE = "cci_bench_auth"
UNLIMITED = {role: {"per_second": 1e6, "burst": 1_000_000} for role in AgencyRole}

bench_routes = APIRouter()


@bench_routes.get("/bench/plain/{nhs_number}")
async def plain(nhs_number: str, session: SessionDep) -> dict[str, str]:
    return {"nhs_number": nhs_number}


@bench_routes.get("/bench/auth/{nhs_number}")
async def auth_only(
    nhs_number: str, principal: PatientReader, session: SessionDep
) -> dict[str, str]:
    # The session too, as `plain` has it: the token check no longer brings one.
    return {"nhs_number": nhs_number}


@bench_routes.get("/bench/transaction/{nhs_number}")
async def transaction(nhs_number: str, session: SessionDep) -> dict[str, str]:
    # What any route that touches the database pays anyway: checkout, BEGIN, one
    # statement, COMMIT. The audit write shares this transaction in real routes.
    await session.execute(text("SELECT 1"))
    return {"nhs_number": nhs_number}


@bench_routes.get("/bench/audited/{nhs_number}")
async def audited(nhs_number: str, principal: PatientReader, session: SessionDep) -> dict[str, str]:
    await record(
        session, principal, action=AuditAction.READ, resource_type="Patient", resource_id=nhs_number
    )
    return {"nhs_number": nhs_number}


def pct(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100)[q - 1] if len(values) > 1 else values[0]


async def issuance(http: httpx.AsyncClient, forms: list[dict[str, str]], concurrency: int) -> float:
    queue = list(forms)

    async def worker() -> None:
        while queue:
            response = await http.post("/oauth2/token", data=queue.pop())
            assert response.status_code == 200, response.text

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return len(forms) / (time.perf_counter() - started)


async def run(requests: int, tokens: int, server: str) -> None:
    url = with_database(server, DATABASE)
    await ensure_database(server, DATABASE)
    await asyncio.to_thread(upgrade_database, url)
    settings = Settings(
        database_url=url,
        environment=Environment.TEST,
        public_base_url=BASE,
        rate_limits=UNLIMITED,  # type: ignore[arg-type]
    )
    app = create_app(settings)
    app.include_router(bench_routes)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=BASE) as http:
            registered = await register_client_in(app, AgencyRole.HEALTH_UNSCHEDULED)
            # Assertions are signed before the clock starts: the client's cost, not ours.
            forms = [registered.token_form(aud=f"{BASE}/oauth2/token") for _ in range(tokens * 2)]
            sequential = await issuance(http, forms[:tokens], 1)
            concurrent = await issuance(http, forms[tokens:], 8)
            form = registered.token_form(aud=f"{BASE}/oauth2/token")
            token = (await http.post("/oauth2/token", data=form)).json()
            headers = {"Authorization": f"Bearer {token['access_token']}", **end_user_headers()}

            paths = {
                "plain": "/bench/plain",
                "auth": "/bench/auth",
                "auth+audit": "/bench/audited",
                "transaction": "/bench/transaction",
            }
            # Interleaved: each request finds the database connection idle for the other
            # routes' time. Runs: 50 requests of a route in a row, routes alternating, as
            # a busy gateway keeps its audit connection warm. Both guard against drift.
            floor = await asyncpg.connect(asyncpg_dsn(url))
            try:
                probes = {name: _get(http, f"{path}/9000000009", headers)
                          for name, path in paths.items()}  # fmt: skip
                probes["bare append"] = _bare_append(floor)
                interleaved = await measure(probes, requests, run=1)
                runs = await measure(probes, requests, run=50)
            finally:
                await floor.close()

    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(f"token issuance: {sequential:,.0f}/s sequential, {concurrent:,.0f}/s with 8 clients")
    for label, (timings, cpu) in (("one request per route in turn", interleaved),
                                  ("runs of 50 requests per route", runs)):  # fmt: skip
        print(f"\n{label}:")
        report(timings, cpu)


Probe = Callable[[], Awaitable[None]]


def _get(http: httpx.AsyncClient, target: str, headers: dict[str, str]) -> Probe:
    async def probe() -> None:
        response = await http.get(target, headers=headers)
        assert response.status_code == 200, response.text

    return probe


def _bare_append(connection: asyncpg.Connection) -> Probe:
    principal = Principal(
        client_id="bench", ods_code=OdsCode("BENCH"), organisation_name="Bench",
        role=AgencyRole.HEALTH_UNSCHEDULED, scopes=frozenset(),
    )  # fmt: skip
    statement = DriverStatement(APPEND_ONE)

    async def probe() -> None:
        row = audit_row(principal, action=AuditAction.READ, resource_type="Patient")
        _, params = append_statement([row])
        await connection.fetchval(statement.sql, *statement.args(params))

    return probe


async def measure(
    probes: dict[str, Probe], requests: int, run: int
) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """Wall and CPU ms per call and probe; the first 200 per probe warm up."""
    timings: dict[str, list[float]] = {name: [] for name in probes}
    cpu: dict[str, list[float]] = {name: [] for name in probes}
    for index in range(0, requests + 200, run):
        for name, probe in probes.items():
            for step in range(run):
                started, started_cpu = time.perf_counter(), time.process_time()
                await probe()
                elapsed = (time.perf_counter() - started) * 1000
                used = (time.process_time() - started_cpu) * 1000
                if index + step >= 200:
                    timings[name].append(elapsed)
                    cpu[name].append(used)
    return timings, cpu


def report(timings: dict[str, list[float]], cpu: dict[str, list[float]]) -> None:
    base, base_cpu = pct(timings["plain"], 50), statistics.mean(cpu["plain"])
    print(
        f"{'route':<12} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'added p50':>10} {'+CPU ms':>8}"
    )
    for name, values in timings.items():
        if name == "bare append":
            continue
        added = pct(values, 50) - base
        added_cpu = statistics.mean(cpu[name]) - base_cpu
        print(
            f"{name:<12} {pct(values, 50):8.3f} {pct(values, 95):8.3f} {pct(values, 99):8.3f} "
            f"{added:+10.3f} {added_cpu:+8.3f}"
        )
    target = pct(timings["auth+audit"], 50) - base
    print(f"token check + audit write add {target:.3f} ms at p50 (target <= 1 ms)")
    beyond = pct(timings["auth+audit"], 50) - pct(timings["transaction"], 50)
    print(f"... of which {beyond:.3f} ms beyond a route's own one-statement transaction")
    floor = pct(timings["bare append"], 50)
    print(f"a durable append alone, no gateway (bare append): {floor:.3f} ms at p50")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--tokens", type=int, default=500)
    args = parser.parse_args()
    server = os.environ.get("CCI_DATABASE_URL") or start_embedded(
        Path(tempfile.gettempdir()) / "auth-bench"
    )
    try:
        asyncio.run(run(args.requests, args.tokens, server))
    finally:
        asyncio.run(drop_database(server, DATABASE))


if __name__ == "__main__":
    main()
