"""Seed the mock Spine: schema, sandbox patients, then the population by COPY.

Large populations are generated and copied by worker processes, one chunk at a
time, each with its own connection (no rows cross a process boundary); the
search indexes are dropped first and built once at the end, which is far
faster than maintaining them row by row.
"""

import asyncio
import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

from cci_common.logging import get_logger
from mock_spine.db import connect
from mock_spine.generator.population import CHUNK_PEOPLE, generate_chunk
from mock_spine.generator.sandbox import sandbox_people
from mock_spine.repository import writer
from mock_spine.schema import upgrade_schema

log = get_logger(__name__)


@dataclass(frozen=True, slots=True)
class SeedResult:
    people: int
    records: int
    seconds: float
    skipped: bool = False


async def _copy_chunk_async(url: str, seed: int, chunk: int, target: int) -> int:
    connection = await connect(url)
    try:
        return await writer.copy_people(connection, generate_chunk(seed, chunk, target))
    finally:
        await connection.close()


def _copy_chunk(url: str, seed: int, chunk: int, target: int) -> int:
    return asyncio.run(_copy_chunk_async(url, seed, chunk, target))


def _chunks(size: int) -> list[tuple[int, int]]:
    count = -(-size // CHUNK_PEOPLE)
    return [(k, min(CHUNK_PEOPLE, size - k * CHUNK_PEOPLE)) for k in range(count)]


async def seed_population(
    url: str, *, size: int, seed: int, workers: int = 2, force: bool = False
) -> SeedResult:
    """Seed `size` people (plus the sandbox patients) unless the database is already seeded."""
    started = time.perf_counter()
    await asyncio.to_thread(upgrade_schema, url)
    connection = await connect(url)
    try:
        if await writer.seeded(connection) and not force:
            return SeedResult(0, 0, 0.0, skipped=True)
        await connection.execute(
            "TRUNCATE patient, search_name, search_address, search_telecom, related_person, "
            "seed_run RESTART IDENTITY"
        )
        await writer.drop_search_indexes(connection)
        records = await writer.copy_people(connection, sandbox_people())
        chunks = _chunks(size)
        if workers > 1 and len(chunks) > 1:
            context = multiprocessing.get_context("spawn")
            loop = asyncio.get_running_loop()
            with ProcessPoolExecutor(workers, mp_context=context) as pool:
                copied = await asyncio.gather(
                    *(loop.run_in_executor(pool, _copy_chunk, url, seed, k, t) for k, t in chunks)
                )
            records += sum(copied)
        else:
            for chunk, target in chunks:
                records += await writer.copy_people(connection, generate_chunk(seed, chunk, target))
        loaded = time.perf_counter()
        await writer.create_search_indexes(connection)
        seconds = time.perf_counter() - started
        await writer.record_seed(connection, seed, size, seconds)
        log.info(
            "spine.seeded", people=size, records=records, seconds=round(seconds, 1),
            index_seconds=round(time.perf_counter() - loaded, 1),
        )  # fmt: skip
        return SeedResult(size, records, seconds)
    finally:
        await connection.close()
