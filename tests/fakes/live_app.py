"""Seed a tenant's ledger before the daemon starts, then serve the real app on loopback (report tests)."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn

from killtoken_proxy.app import create_app
from killtoken_proxy.runtime import Runtime
from killtoken_proxy.settings import Settings
from killtoken_proxy.store.ledger import Ledger


def tenant_ids(settings: Settings, *names: str) -> dict[str, str]:
    """Ids of the named tenants, creating the ones that do not exist yet (no keys handed out)."""
    runtime = Runtime(settings)
    runtime.open()
    try:
        ids = {}
        for name in names:
            tenant = runtime.tenants.by_name(name) or runtime.tenants.create(name)[0]
            ids[name] = tenant.id
        return ids
    finally:
        runtime.close()


def seed_ledger(settings: Settings, records: list[dict[str, Any]], batch: int = 100) -> None:
    ledger = Ledger(settings.paths.ledger_dir, segment_records=settings.ledger_segment_records)
    for at in range(0, len(records), batch):
        ledger.append(records[at : at + batch])
    ledger.files.close()


@contextmanager
def serving(settings: Settings) -> Iterator[str]:
    """The real app under uvicorn on `settings.port` (loopback), in a background thread: the one way tests
    run an in-process gateway (`conftest.running_gateway` builds on it)."""
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=settings.port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=lambda: asyncio.run(server.serve()), daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "gateway did not start"
        time.sleep(0.02)
    try:
        yield settings.url
    finally:
        server.should_exit = True
        thread.join(timeout=10)
