"""Readiness checks: each domain registers what it depends on (database, Spine, ...)."""

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

ReadinessProbe = Callable[[], Awaitable[None]]
CHECK_TIMEOUT_SECONDS = 2.0


@dataclass(frozen=True, slots=True)
class CheckResult:
    name: str
    ok: bool
    elapsed_ms: float
    detail: str | None = None


def database_probe(engine: AsyncEngine) -> ReadinessProbe:
    async def probe() -> None:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    return probe


async def run_checks(probes: dict[str, ReadinessProbe]) -> list[CheckResult]:
    async def run(name: str, probe: ReadinessProbe) -> CheckResult:
        started = time.perf_counter()
        try:
            await asyncio.wait_for(probe(), CHECK_TIMEOUT_SECONDS)
        except TimeoutError:
            return CheckResult(name, False, (time.perf_counter() - started) * 1000, "timed out")
        except Exception as exc:
            # The class name only: connection errors can carry hosts and credentials.
            return CheckResult(
                name, False, (time.perf_counter() - started) * 1000, type(exc).__name__
            )
        return CheckResult(name, True, (time.perf_counter() - started) * 1000)

    return list(await asyncio.gather(*(run(n, p) for n, p in probes.items())))
