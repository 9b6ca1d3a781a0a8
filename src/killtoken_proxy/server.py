"""Run the daemon: uvicorn on loopback, `daemon.json` while serving, clean shutdown on Ctrl-C/SIGTERM."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import os
import signal
import socket
from collections.abc import Iterator
from datetime import UTC, datetime

import uvicorn

from killtoken_proxy.app import create_app
from killtoken_proxy.settings import Settings
from killtoken_proxy.store.atomic_storage import write_json_atomically


class PortInUse(Exception):
    pass


def check_port_free(host: str, port: int) -> None:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise PortInUse(
                f"Cannot listen on {host}:{port} ({exc.strerror}). Pick another port with `kt serve --port N`."
            ) from None


class _Server(uvicorn.Server):
    """uvicorn re-raises SIGINT/SIGTERM after shutdown, which would kill us before `daemon.json` is
    removed; here a signal only asks for a graceful exit (a second one forces it)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        previous = {sig: signal.signal(sig, self.handle_exit) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


GC_YOUNG_THRESHOLD = 20_000


async def _serve(server: uvicorn.Server, settings: Settings) -> bool:
    task = asyncio.create_task(server.serve())
    while not server.started and not task.done():
        await asyncio.sleep(0.02)
    if server.started:
        # Everything built so far (modules, the app, the loaded store) lives until exit: move it out of
        # the collector's reach, so a full collection under load scans only what requests allocate
        # (~80k objects fewer: a full pass over them took 10-60 ms here, a pause for every request in flight).
        gc.collect()
        gc.freeze()
        # A chat call allocates a few hundred container objects, nearly all freed by refcount; at the default
        # threshold (700) the young generation was collected every two or three calls. Measured with 16 in
        # flight: CPU per call -10%, throughput +10%; memory stays flat (the 100k-request soak).
        gc.set_threshold(GC_YOUNG_THRESHOLD, 20, 20)
        write_json_atomically(
            settings.paths.daemon_file,
            {"pid": os.getpid(), "url": settings.url, "started_at": datetime.now(UTC).isoformat()},
        )
    try:
        await task
    finally:
        settings.paths.daemon_file.unlink(missing_ok=True)
    return server.started


def _warm_up() -> None:
    """One-time costs paid before listening instead of by the first request: genai-prices imports and
    parses its price table on first use (~300 ms)."""
    from genai_prices import Usage, calc_price

    with contextlib.suppress(Exception):  # only a warm-up: the request path reports real pricing problems
        calc_price(Usage(input_tokens=1, output_tokens=1), model_ref="gpt-4o-mini", provider_id="openai")


def serve(settings: Settings, *, log_level: str = "info", access_log: bool = False) -> bool:
    """Blocks until shutdown; returns False when the server never started.

    uvloop and httptools when installed ("auto"; uvloop is not on Windows); no access log unless asked,
    since a log line per request costs more CPU than the rest of uvicorn's work on it.
    """
    config = uvicorn.Config(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_level=log_level,
        access_log=access_log,
        loop="auto",
        http="auto",
        lifespan="on",
        timeout_graceful_shutdown=10,
    )
    _warm_up()
    with asyncio.Runner(loop_factory=config.get_loop_factory()) as runner:
        return runner.run(_serve(_Server(config), settings))


def read_daemon_file(settings: Settings) -> dict[str, object] | None:
    try:
        info = json.loads(settings.paths.daemon_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return info if isinstance(info, dict) else None
