"""Run several ASGI services (gateway, mock Spine) and background tasks in one event loop.

uvicorn's per-server signal capture re-raises the signal after shutdown, which
would cascade between servers; here one handler stops them all together.
"""

import asyncio
import contextlib
import signal
from collections.abc import Callable, Coroutine, Generator
from typing import Any

import uvicorn


class _QuietServer(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


BackgroundTask = Callable[[asyncio.Event], Coroutine[Any, Any, None]]


async def serve_all(
    configs: list[uvicorn.Config], background: list[BackgroundTask] | None = None
) -> None:
    servers = [_QuietServer(config) for config in configs]
    stopping = asyncio.Event()

    def stop() -> None:
        stopping.set()
        for server in servers:
            server.should_exit = True

    interrupts = 0

    def on_signal() -> None:
        # A second Ctrl-C forces the exit; the first lets lifespans shut down cleanly.
        nonlocal interrupts
        interrupts += 1
        if interrupts > 1:
            for server in servers:
                server.force_exit = True
        stop()

    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, on_signal)
    tasks = [asyncio.create_task(server.serve()) for server in servers]
    tasks += [asyncio.create_task(task(stopping)) for task in background or []]
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        # Whichever ends first (a signal, or a server failing to bind) ends them all.
        stop()
        await asyncio.gather(*tasks, return_exceptions=True)
        for task in done:
            task.result()
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
