"""`serve_all`: one Ctrl-C stops every server gracefully (their lifespans shut down)."""

import asyncio
import os
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn
from starlette.applications import Starlette

from cci.serve import serve_all
from tests.fixtures.live_server import free_port


def _app(events: list[str], name: str) -> Starlette:
    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        events.append(f"{name} started")
        yield
        await asyncio.sleep(0.05)  # a shutdown that takes a moment, as closing pools does
        events.append(f"{name} stopped")

    return Starlette(lifespan=lifespan)


async def test_one_interrupt_stops_every_server_gracefully() -> None:
    events: list[str] = []
    configs = [
        uvicorn.Config(_app(events, name), port=free_port(), log_config=None, lifespan="on")
        for name in ("gateway", "spine")
    ]

    async def interrupt(stopping: asyncio.Event) -> None:
        await asyncio.sleep(0.5)
        os.kill(os.getpid(), signal.SIGINT)  # handled by serve_all's own handler
        await stopping.wait()
        events.append("interrupted")

    async def waits_for_stop(stopping: asyncio.Event) -> None:
        await stopping.wait()
        events.append("worker stopped")

    await asyncio.wait_for(serve_all(configs, background=[interrupt, waits_for_stop]), 10)
    assert sorted(events) == sorted(
        [
            "gateway started",
            "spine started",
            "interrupted",
            "worker stopped",
            "gateway stopped",
            "spine stopped",
        ]
    )
