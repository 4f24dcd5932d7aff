"""A lean HTTP/1.1 load generator: keep-alive connections on asyncio streams.

On a two-core machine the load generator shares the CPU with the server it
measures; httpx spends about a millisecond of CPU per request, which would be
charged to the server's latency at ten concurrent clients. This client sends
each request as one write and parses only the status line and Content-Length,
so nearly all of the CPU goes to the server. Real HTTP over TCP all the same.
"""

import asyncio
import random
import time
from collections.abc import Callable
from urllib.parse import urlsplit


class Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, host: str):
        self._reader, self._writer, self._host = reader, writer, host

    @classmethod
    async def open(cls, base_url: str) -> "Connection":
        parts = urlsplit(base_url)
        host, port = parts.hostname or "127.0.0.1", parts.port or 80
        reader, writer = await asyncio.open_connection(host, port)
        return cls(reader, writer, f"{host}:{port}")

    async def get(self, target: str, headers: dict[str, str]) -> tuple[int, bytes]:
        lines = [f"GET {target} HTTP/1.1", f"Host: {self._host}"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        self._writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        head = await self._reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = None
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        if length is None:
            raise RuntimeError("response without Content-Length")
        return status, await self._reader.readexactly(length)

    async def close(self) -> None:
        self._writer.close()
        await self._writer.wait_closed()


async def closed_loop(
    base_url: str,
    clients: int,
    seconds: float,
    request: Callable[[random.Random], tuple[str, dict[str, str]]],
) -> tuple[list[float], float]:
    """`clients` connections each sending the next request as soon as the last answered,
    for `seconds`; returns (latencies in seconds, requests per second). Any answer but
    200 fails the run."""
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds
    connections = [await Connection.open(base_url) for _ in range(clients)]

    async def one(index: int, connection: Connection) -> None:
        rng = random.Random(index)
        while time.perf_counter() < deadline:
            target, headers = request(rng)
            started = time.perf_counter()
            status, body = await connection.get(target, headers)
            latencies.append(time.perf_counter() - started)
            if status != 200:
                raise RuntimeError(f"{target}: {status} {body[:300]!r}")

    started = time.perf_counter()
    try:
        await asyncio.gather(*(one(i, c) for i, c in enumerate(connections)))
    finally:
        for connection in connections:
            await connection.close()
    return latencies, len(latencies) / (time.perf_counter() - started)
