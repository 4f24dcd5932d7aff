"""Trace accuracy and latency: every row of an LA extract through `POST /Patient/$match`.

    python -m bench.trace_accuracy --size 1000000 --children 5000 --seed 1

Seeds (or reuses) a mock Spine population, generates the LA extract with the mock
Spine's generator (same seed and size, so rows line up with the Spine), runs each
row through the gateway over HTTP with one client, and prints per-grade precision,
recall as `certain`, "true number anywhere in the candidates", false-`certain`
rows by cause, throughput and latency; then gateway `GET /Patient/{id}` p50
against the same retrieve sent straight to the mock Spine. Thresholds were tuned
on a different seed from the one reported (README, Trace).
"""

import argparse
import asyncio
import random
import statistics
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

from app.auth.context import END_USER_ID, END_USER_NAME, END_USER_ROLE
from bench.trace_extract import BenchRow, bench_rows
from bench.trace_support import Stack, stack

GRADES = ("certain", "probable", "possible")


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * pct / 100))] if ordered else 0.0


async def run_matches(
    target: Stack, rows: list[BenchRow]
) -> list[tuple[BenchRow, Any, float, int]]:
    headers = {"Authorization": f"Bearer {target.token}", "Content-Type": "application/fhir+json"}
    headers |= {
        END_USER_ID: "bench",
        END_USER_NAME: "Bench",
        END_USER_ROLE: "Bench",
    }
    results = []
    async with httpx.AsyncClient(base_url=target.gateway, headers=headers, timeout=30) as http:
        for row in rows:
            started = time.perf_counter()
            response = await http.post("/Patient/$match", json=row.body)
            elapsed = (time.perf_counter() - started) * 1000
            body = response.json() if response.status_code == 200 else None
            calls = int(response.headers.get("X-Trace-Spine-Calls", 0))
            results.append((row, body, elapsed, calls))
    return results


def entries(body: Any) -> list[tuple[str, str]]:
    if not body:
        return []
    return [
        (e["resource"]["id"], e["search"]["extension"][0]["valueCode"])
        for e in body.get("entry", [])
        if e["search"]["mode"] == "match"
    ]


def by_cause(exists: list[tuple[BenchRow, Any, float, int]]) -> None:
    """Recall per error the extract carries (a row with two errors counts under both)."""
    rows: Counter[str] = Counter()
    missed: Counter[str] = Counter()
    for row, body, _, _ in exists:
        certain_right = entries(body)[:1] == [(row.true_nhs_number, "certain")]
        for error in row.errors or ("none",):
            rows[error] += 1
            missed[error] += not certain_right
    print(f"{'error in the row':<28}{'rows':>6}{'not certain-correct':>21}{'recall':>9}")
    for error, count in missed.most_common(12):
        print(f"{error:<28}{rows[error]:>6}{count:>21}{1 - count / rows[error]:>9.1%}")


def report(results: list[tuple[BenchRow, Any, float, int]], seconds: float) -> None:
    exists = [r for r in results if r[0].true_nhs_number]
    absent = [r for r in results if not r[0].true_nhs_number]
    print(f"\nrows {len(results)}: {len(exists)} children on the Spine, {len(absent)} not on it")
    print(f"{'grade':<10}{'count':>8}{'correct':>9}{'precision':>11}")
    false_certain: list[BenchRow] = []
    for grade in GRADES:
        graded = [
            (row, top)
            for row, body, _, _ in results
            if (top := entries(body)[:1]) and top[0][1] == grade
        ]
        correct = sum(1 for row, top in graded if top[0][0] == row.true_nhs_number)
        precision = correct / len(graded) if graded else float("nan")
        print(f"{grade:<10}{len(graded):>8}{correct:>9}{precision:>11.4%}")
        if grade == "certain":
            false_certain = [row for row, top in graded if top[0][0] != row.true_nhs_number]
    none = sum(1 for _, body, _, _ in results if body is not None and not entries(body))
    errors = sum(1 for _, body, _, _ in results if body is None)
    print(f"{'none':<10}{none:>8}\n{'errors':<10}{errors:>8}")
    certain_right = sum(
        1
        for row, body, _, _ in exists
        if (top := entries(body)[:1]) and top[0] == (row.true_nhs_number, "certain")
    )
    anywhere = sum(
        1 for row, body, _, _ in exists if row.true_nhs_number in {n for n, _ in entries(body)}
    )
    absent_certain = sum(
        1 for _, body, _, _ in absent if any(g == "certain" for _, g in entries(body))
    )
    print(f"recall as certain: {certain_right / len(exists):.2%} ({certain_right}/{len(exists)})")
    share = anywhere / len(exists)
    print(f"true number anywhere in candidates: {share:.2%} ({anywhere}/{len(exists)})")
    print(f"children not on the Spine graded certain: {absent_certain}")
    print(f"false certain: {len(false_certain)}")
    for row in false_certain:
        truth = row.true_nhs_number or "absent"
        print(f"  {row.record_id}: truth={truth} errors={';'.join(row.errors)}")
    by_cause(exists)
    latencies = [r[2] for r in results]
    calls = [r[3] for r in results]
    print(f"throughput: {len(results) / seconds:.1f} traces/s (one client, sequential)")
    p50, p95, p99 = (percentile(latencies, p) for p in (50, 95, 99))
    print(
        f"$match latency ms: p50 {p50:.1f}  p95 {p95:.1f}  p99 {p99:.1f}  max {max(latencies):.1f}"
    )
    print(f"Spine calls per trace: mean {statistics.mean(calls):.2f}  max {max(calls)}")


async def retrieve_latency(target: Stack, numbers: list[str], repeats: int) -> None:
    headers = {"Authorization": f"Bearer {target.token}", END_USER_ID: "bench",
               END_USER_NAME: "Bench", END_USER_ROLE: "Bench"}  # fmt: skip
    gateway_ms, direct_ms = [], []
    async with (
        httpx.AsyncClient(base_url=target.gateway, headers=headers) as gateway,
        httpx.AsyncClient(base_url=target.spine) as spine,
    ):
        for number in numbers[:100]:  # warm-up: connections, first-request set-up
            await spine.get(f"/Patient/{number}", headers={"X-Request-ID": str(uuid.uuid4())})
            await gateway.get(f"/Patient/{number}")
        for number in numbers * repeats:
            started = time.perf_counter()
            (
                await spine.get(f"/Patient/{number}", headers={"X-Request-ID": str(uuid.uuid4())})
            ).raise_for_status()
            direct_ms.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            (await gateway.get(f"/Patient/{number}")).raise_for_status()
            gateway_ms.append((time.perf_counter() - started) * 1000)
    ratio = statistics.median(gateway_ms) / statistics.median(direct_ms)
    print(f"\nGET /Patient/{{id}} p50: gateway {statistics.median(gateway_ms):.2f} ms, "
          f"direct to mock Spine {statistics.median(direct_ms):.2f} ms, ratio {ratio:.2f}x "
          f"(p95 {percentile(gateway_ms, 95):.2f} vs {percentile(direct_ms, 95):.2f})")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1_000_000, help="people in the mock Spine")
    parser.add_argument("--children", type=int, default=5_000, help="children in the extract")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--data-dir", type=Path, default=Path("/tmp/trace-bench"))  # noqa: S108
    parser.add_argument("--ports", type=int, nargs=2, default=(8300, 9300))
    parser.add_argument(
        "--retrieve-only", action="store_true", help="only the GET /Patient/{id} comparison"
    )
    args = parser.parse_args()
    with stack(args.data_dir, args.size, args.seed, tuple(args.ports)) as target:
        started = time.perf_counter()
        rows = bench_rows(args.children, args.seed, args.size, args.data_dir)
        print(f"extract: {len(rows)} rows from the mock Spine's generator "
              f"({time.perf_counter() - started:.0f} s)")  # fmt: skip
        if not args.retrieve_only:
            started = time.perf_counter()
            results = asyncio.run(run_matches(target, rows))
            report(results, time.perf_counter() - started)
        numbers = [r.true_nhs_number for r in rows if r.true_nhs_number]
        asyncio.run(
            retrieve_latency(target, random.Random(0).sample(numbers, min(500, len(numbers))), 4)
        )


if __name__ == "__main__":
    main()
