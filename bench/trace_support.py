"""Infrastructure for the trace benchmarks: embedded PostgreSQL, a seeded mock Spine and
the gateway as separate uvicorn processes (so client, gateway and Spine do not share a
GIL), and a registered client with a real signed token."""

import asyncio
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from joserfc import jwt

from app.auth import clients
from app.auth.client_assertion import ASSERTION_TYPE
from app.auth.scopes import AgencyRole
from app.db import create_engine, create_sessionmaker
from app.migrations import upgrade_database
from cci.database import ensure_database, start_embedded, with_database
from mock_spine.generator.seed import seed_population
from mock_spine.settings import PDS_BASE_PATH

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Stack:
    gateway: str
    spine: str  # the PDS base URL
    spine_database_url: str
    token: str


def databases(data_dir: Path, size: int, seed: int) -> tuple[str, str]:
    server = start_embedded(data_dir)
    spine_db, gateway_db = f"trace_bench_spine_{size}_{seed}", "trace_bench_gateway"
    asyncio.run(ensure_database(server, spine_db))
    asyncio.run(ensure_database(server, gateway_db))
    return with_database(server, spine_db), with_database(server, gateway_db)


def seed(spine_url: str, size: int, seed_value: int) -> None:
    started = time.perf_counter()
    result = asyncio.run(seed_population(spine_url, size=size, seed=seed_value, workers=2))
    state = "reused" if result.skipped else f"seeded in {time.perf_counter() - started:.0f} s"
    print(f"mock Spine: {size:,} people (seed {seed_value}), {state}")


def _serve(factory: str, port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    command = [
        sys.executable, "-m", "uvicorn", "--factory", factory, "--port", str(port),
        "--log-level", "warning", "--no-access-log",
    ]  # fmt: skip
    return subprocess.Popen(command, env={**os.environ, **env}, cwd=ROOT)  # noqa: S603


def _wait(url: str, deadline: float = 60) -> None:
    stop = time.monotonic() + deadline
    while time.monotonic() < stop:
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not start")


async def _register(gateway_db: str, gateway: str) -> str:
    key = clients.generate_client_key("ES384")
    engine = create_engine(gateway_db, pool_size=1, max_overflow=0)
    async with create_sessionmaker(engine)() as session:
        client = await clients.register(
            session, role=AgencyRole.SOCIAL_CARE, ods_code="B" + uuid.uuid4().hex[:4].upper(),
            organisation_name="Benchmark LA", jwks={"keys": [key.as_dict(private=False)]},
        )  # fmt: skip
        await session.commit()
    await engine.dispose()
    now = int(time.time())
    claims = {
        "iss": client.id, "sub": client.id, "aud": f"{gateway}/oauth2/token",
        "jti": str(uuid.uuid4()), "iat": now, "exp": now + 120,
    }  # fmt: skip
    header = {"alg": "ES384", "kid": key.kid, "typ": "JWT"}
    assertion = jwt.encode(header, claims, key, algorithms=["ES384"])
    async with httpx.AsyncClient(base_url=gateway) as http:
        response = await http.post(
            "/oauth2/token",
            data={
                "grant_type": "client_credentials",
                "client_assertion_type": ASSERTION_TYPE,
                "client_assertion": assertion,
            },
        )
        response.raise_for_status()
        token: str = response.json()["access_token"]
        return token


@contextmanager
def stack(data_dir: Path, size: int, seed_value: int, ports: tuple[int, int]) -> Iterator[Stack]:
    spine_db, gateway_db = databases(data_dir, size, seed_value)
    seed(spine_db, size, seed_value)
    upgrade_database(gateway_db)
    gateway_port, spine_port = ports
    gateway = f"http://127.0.0.1:{gateway_port}"
    spine = f"http://127.0.0.1:{spine_port}{PDS_BASE_PATH}"
    processes = [
        _serve("mock_spine.main:create_app", spine_port, {"CCI_SPINE_DATABASE_URL": spine_db}),
        _serve(
            "app.main:create_app",
            gateway_port,
            {
                "CCI_DATABASE_URL": gateway_db,
                "CCI_SPINE_BASE_URL": spine,
                "CCI_SPINE_RATE_LIMIT_TPS": "0",
                "CCI_PUBLIC_BASE_URL": gateway,
                "CCI_LOG_LEVEL": "WARNING",
                "CCI_RATE_LIMITS": '{"social-care": {"per_second": 100000, "burst": 100000}}',
            },
        ),
    ]
    try:
        _wait(f"{spine}/metadata")
        _wait(f"{gateway}/metadata")
        token = asyncio.run(_register(gateway_db, gateway))
        yield Stack(gateway, spine, spine_db, token)
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=10)
