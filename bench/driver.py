"""The closed-loop load driver: C keep-alive connections share N requests; each latency is recorded.

A raw asyncio HTTP/1.1 client (pre-built request bytes, Content-Length or chunked answers) so the
driver spends a few microseconds per request and the gateway under test is what gets measured.
"""

from __future__ import annotations

import asyncio
import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

METRICS_HEADER = b"\r\nx-killtoken-metrics:"


@dataclass(frozen=True)
class Target:
    """Where to send and what: a URL, extra headers and one body (or a body per request number)."""

    name: str
    url: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    body_for: Callable[[int], bytes] | None = None  # unique bodies (the memory soak)
    count_hits: bool = False  # read x-killtoken-metrics' cacheStatus on every answer

    def host_port(self) -> tuple[str, int]:
        parts = urlsplit(self.url)
        return parts.hostname or "127.0.0.1", parts.port or 80

    def request_bytes(self, body: bytes) -> bytes:
        parts = urlsplit(self.url)
        host, port = self.host_port()
        lines = [f"POST {parts.path or '/'} HTTP/1.1", f"host: {host}:{port}", "content-type: application/json"]
        lines += [f"{k}: {v}" for k, v in self.headers.items()]
        lines.append(f"content-length: {len(body)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


class _Connection(asyncio.Protocol):
    """One keep-alive connection with at most one request in flight (closed loop)."""

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._head_end = -1
        self._need = -1
        self._chunked = False
        self._waiter: asyncio.Future[tuple[int, bytes]] | None = None
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # uvloop's transports are not subclasses

    def request(self, payload: bytes) -> asyncio.Future[tuple[int, bytes]]:
        assert self.transport is not None, "connection closed"
        self._waiter = asyncio.get_running_loop().create_future()
        self.transport.write(payload)
        return self._waiter

    def data_received(self, data: bytes) -> None:
        buffer = self._buffer
        buffer += data
        if self._head_end < 0:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            self._head_end = end
            head = bytes(buffer[:end]).lower()
            start = head.find(b"content-length:")
            if start >= 0:
                stop = head.find(b"\r\n", start)
                self._need = end + 4 + int(head[start + 15 : stop if stop >= 0 else len(head)])
                self._chunked = False
            else:
                self._chunked = b"transfer-encoding: chunked" in head
                self._need = -1
        if self._chunked:
            if not buffer.endswith(b"0\r\n\r\n"):
                return
            total = len(buffer)
        else:
            if len(buffer) < self._need:
                return
            total = self._need
        head = bytes(buffer[: self._head_end])
        del buffer[:total]
        self._head_end, self._need = -1, -1
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result((int(head[9:12]), head))

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_exception(ConnectionError("the server closed the connection"))


@dataclass
class BlockResult:
    """One closed-loop block: latencies in ms (completion order), wall time, errors, cache hits."""

    latencies_ms: list[float]
    seconds: float
    errors: int = 0
    hits: int = 0
    first_error: str | None = None

    @property
    def requests(self) -> int:
        return len(self.latencies_ms)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds > 0 else 0.0


async def _open(target: Target) -> _Connection:
    host, port = target.host_port()
    _, protocol = await asyncio.get_running_loop().create_connection(_Connection, host, port)
    return protocol


class Driver:
    """Holds C open connections to one target; `run()` sends N requests through them, closed loop."""

    def __init__(self, target: Target, concurrency: int) -> None:
        self.target = target
        self.concurrency = concurrency
        self._connections: list[_Connection] = []
        self._fixed = target.request_bytes(target.body)

    async def __aenter__(self) -> Driver:
        self._connections = list(await asyncio.gather(*(_open(self.target) for _ in range(self.concurrency))))
        return self

    async def __aexit__(self, *exc: object) -> None:
        for connection in self._connections:
            if connection.transport is not None:
                connection.transport.close()

    async def run(self, requests: int, max_seconds: float = 1e9) -> BlockResult:
        latencies: list[float] = []
        state = {"left": requests, "errors": 0, "hits": 0}
        first_error: list[str] = []
        deadline = time.perf_counter() + max_seconds
        body_for = self.target.body_for
        to_bytes = self.target.request_bytes
        count_hits = self.target.count_hits

        async def worker(connection: _Connection) -> None:
            clock = time.perf_counter
            while state["left"] > 0 and clock() < deadline:
                number = state["left"]
                state["left"] -= 1
                payload = self._fixed if body_for is None else to_bytes(body_for(number))
                started = clock()
                status, head = await connection.request(payload)
                latencies.append((clock() - started) * 1000)
                if status != 200:
                    state["errors"] += 1
                    if not first_error:
                        first_error.append(f"HTTP {status}: {head[:300].decode('latin-1')}")
                elif count_hits and cache_status(head) == "hit":
                    state["hits"] += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker(c) for c in self._connections))
        seconds = time.perf_counter() - started
        return BlockResult(latencies, seconds, state["errors"], state["hits"], first_error[0] if first_error else None)


def cache_status(head: bytes) -> str | None:
    """`cacheStatus` from the x-killtoken-metrics header of a raw response head, if there is one."""
    start = head.lower().find(METRICS_HEADER)
    if start < 0:
        return None
    start += len(METRICS_HEADER)
    end = head.find(b"\r\n", start)
    try:
        metrics = json.loads(head[start : end if end >= 0 else len(head)])
    except ValueError:
        return None
    status = metrics.get("cacheStatus") if isinstance(metrics, dict) else None
    return status if isinstance(status, str) else None


def percentile(sorted_values: list[float], p: float) -> float:
    """Nearest-rank percentile of an already sorted list (p in 0..100)."""
    if not sorted_values:
        return float("nan")
    rank = max(1, min(len(sorted_values), math.ceil(p / 100 * len(sorted_values))))
    return sorted_values[rank - 1]
