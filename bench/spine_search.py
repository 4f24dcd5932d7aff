"""Mock Spine latency at scale: seed N people into a scratch database, then time retrieve,
exact, wildcard and fuzzy search over HTTP (one client, sequential) beside a bare asyncpg
run of the same SQL the service issues, in the same run, and print p50/p95/p99.

    python -m bench.spine_search --size 1000000 --requests 1000

The HTTP client is a minimal keep-alive HTTP/1.1 client over asyncio streams, so the
figures are the service's and not a client library's.
"""

import argparse
import asyncio
import os
import random
import socket
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from cci.database import drop_database, ensure_database, start_embedded, with_database
from mock_spine.db import connect
from mock_spine.generator.seed import seed_population
from mock_spine.repository import patients as patient_sql
from mock_spine.repository import search as search_sql
from mock_spine.search.params import parse_search
from mock_spine.search.service import swapped
from mock_spine.settings import PDS_BASE_PATH

TARGETS = {
    "retrieve": "p50 <= 5x bare, p95 <= 5 ms",
    "exact search": "p95 <= 20 ms",
    "wildcard search": "-",
    "fuzzy search": "p50 <= 3x bare, p95 <= 100 ms",
}


class RawClient:
    """Keep-alive HTTP/1.1 GETs with Content-Length bodies: just enough to time a server."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def get(self, target: str) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        request = (
            f"GET {target} HTTP/1.1\r\nHost: {self.host}\r\nX-Request-ID: {uuid.uuid4()}\r\n\r\n"
        )
        self.writer.write(request.encode())
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":", 1)[1])
        body = await self.reader.readexactly(length)
        return status, body

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


def percentiles(samples: list[float]) -> tuple[float, float, float]:
    ordered = sorted(samples)
    cut = statistics.quantiles(ordered, n=100, method="inclusive")
    return ordered[len(ordered) // 2], cut[94], cut[98]


async def sample_people(connection: Any, count: int, seed: int) -> list[Any]:
    rows = await connection.fetch(
        "SELECT p.nhs_number, n.family, n.given, p.birth_date, p.gender FROM patient p "
        "JOIN search_name n ON n.nhs_number = p.nhs_number AND n.use = 'usual' AND n.current "
        "WHERE p.status = 'active' AND p.security = 'U' AND p.death_date IS NULL "
        "AND p.nhs_number LIKE '99%' AND p.birth_date IS NOT NULL "
        "ORDER BY md5(p.nhs_number || $1::text) LIMIT $2",
        str(seed),
        count,
    )
    return list(rows)


def workloads(person: Any) -> dict[str, list[tuple[str, str]]]:
    born = person["birth_date"].isoformat()
    family, given = person["family"], person["given"]
    fuzzy_family = family[:-1] + ("E" if family[-1] != "E" else "A")
    return {
        "exact search": [("family", family), ("given", given), ("birthdate", f"eq{born}")],
        "wildcard search": [("family", family[:3] + "*"), ("birthdate", f"eq{born}")],
        "fuzzy search": [("family", fuzzy_family), ("given", given), ("birthdate", born),
                         ("_fuzzy-match", "true")],
    }  # fmt: skip


def bare_sql(params: list[tuple[str, str]]) -> tuple[str, list[object]]:
    query = parse_search(params)
    if not query.fuzzy:
        return search_sql.exact_sql(query)
    day = query.birth.exact
    dates = [d for d in (day, swapped(day) if day else None) if d is not None]
    return search_sql.fuzzy_sql(query, dates)


async def timed(action: Callable[[], Awaitable[Any]]) -> float:
    started = time.perf_counter()
    await action()
    return (time.perf_counter() - started) * 1000


async def measure(url: str, port: int, requests: int, seed: int) -> dict[str, Any]:
    connection = await connect(url)
    people = await sample_people(connection, requests, seed)
    client = RawClient("127.0.0.1", port)
    http: dict[str, list[float]] = {name: [] for name in TARGETS}
    bare: dict[str, list[float]] = {name: [] for name in TARGETS}
    base = PDS_BASE_PATH
    for warm in people[:50]:  # warm both paths' statement caches and the buffer pool
        await client.get(f"{base}/Patient/{warm['nhs_number']}")
        await connection.fetchrow(patient_sql.RETRIEVE_SQL, warm["nhs_number"])
    for person in people:
        number = person["nhs_number"]

        async def retrieve(number: str = number) -> None:
            status, _ = await client.get(f"{base}/Patient/{number}")
            assert status == 200, status

        http["retrieve"].append(await timed(retrieve))
        bare["retrieve"].append(
            await timed(partial(connection.fetchrow, patient_sql.RETRIEVE_SQL, number))
        )
        for name, params in workloads(person).items():

            async def search(params: list[tuple[str, str]] = params) -> None:
                status, _ = await client.get(f"{base}/Patient?{urlencode(params)}")
                assert status == 200, status

            http[name].append(await timed(search))
            sql = bare_sql(params)
            bare[name].append(await timed(partial(search_sql.run, connection, sql)))
    await client.close()
    await connection.close()
    return {"http": http, "bare": bare}


def print_table(results: dict[str, Any], seed_seconds: float | None, size: int) -> None:
    header = (
        f"{'workload':<16} {'HTTP p50':>9} {'p95':>7} {'p99':>7} | {'bare p50':>9} {'p95':>7} "
        f"{'p99':>7} | {'ratio p50':>9}  target"
    )
    print(f"\nMock Spine at {size:,} people (ms; one client, sequential)")
    print(header)
    print("-" * len(header))
    for name, target in TARGETS.items():
        h = percentiles(results["http"][name])
        b = percentiles(results["bare"][name])
        print(
            f"{name:<16} {h[0]:>9.2f} {h[1]:>7.2f} {h[2]:>7.2f} | {b[0]:>9.2f} {b[1]:>7.2f} "
            f"{b[2]:>7.2f} | {h[0] / b[0]:>8.1f}x  {target}"
        )
    if seed_seconds is not None:
        print(f"\nseeding {size:,} people: {seed_seconds:.1f} s (target <= 300 s)")


async def settle(url: str) -> None:
    """Measure the steady state, not the minutes after a bulk load: right after COPY,
    autovacuum and the checkpointer compete for the same two cores and skew both
    columns (retrieve p50 rose from 1.3 to 1.6 ms while the bare lookup barely moved)."""
    connection = await connect(url)
    try:
        await connection.execute("VACUUM (ANALYZE)")
        await connection.execute("CHECKPOINT")
    finally:
        await connection.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def serve(url: str, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "CCI_SPINE_DATABASE_URL": url, "CCI_SPINE_LOG_LEVEL": "WARNING"}
    command = [sys.executable, "-m", "uvicorn", "mock_spine.main:create_app", "--factory",
               "--port", str(port), "--no-access-log", "--log-level", "warning"]  # fmt: skip
    process = subprocess.Popen(command, env=env)  # noqa: S603 - our own fixed argv
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return process
        time.sleep(0.1)
    process.kill()
    raise RuntimeError("mock Spine did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--data-dir", type=Path, default=Path(".cci/bench"))
    parser.add_argument("--database-url", help="an already seeded database (skips seeding)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    args = parser.parse_args()
    server = start_embedded(args.data_dir)
    url = args.database_url
    seed_seconds = None
    scratch = None
    if url is None:
        scratch = f"cci_bench_spine_{uuid.uuid4().hex[:8]}"
        asyncio.run(ensure_database(server, scratch))
        url = with_database(server, scratch)
        started = time.perf_counter()
        asyncio.run(seed_population(url, size=args.size, seed=args.seed, workers=2))
        seed_seconds = time.perf_counter() - started
        print(f"database: {url}")
        started = time.perf_counter()
        asyncio.run(settle(url))
        print(f"settled (VACUUM ANALYZE, CHECKPOINT) in {time.perf_counter() - started:.1f} s")
    port = free_port()
    process = serve(url, port)
    try:
        results = asyncio.run(
            measure(url, port, args.requests, random.Random(args.seed).randint(0, 99))
        )
    finally:
        process.terminate()
        process.wait(timeout=10)
    print_table(results, seed_seconds, args.size)
    if scratch and not args.keep:
        asyncio.run(drop_database(server, scratch))


if __name__ == "__main__":
    main()
