"""Requests counted against each tenant's monthly plan: counted in memory, persisted behind the request.

One small JSON file (`plan-usage.json`), rewritten atomically by a writer task at most once per
`flush_interval`; a hard crash can lose at most that last interval of counts.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from pathlib import Path

from killtoken_proxy.store.atomic_storage import write_json_atomically

log = logging.getLogger("killtoken.plan_usage")


class PlanUsage:
    def __init__(self, path: Path, *, flush_interval: float = 1.0) -> None:
        self._path = path
        self._flush_interval = flush_interval
        self._counts: dict[str, dict[str, int]] = self._load()  # tenant id -> "YYYY-MM" -> requests
        self._dirty = asyncio.Event()
        self._write_lock = asyncio.Lock()
        self._writer: asyncio.Task[None] | None = None

    def _load(self) -> dict[str, dict[str, int]]:
        try:
            document = json.loads(self._path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except ValueError:
            log.error("%s is not valid JSON; plan usage starts again from zero", self._path)
            return {}
        counts = document.get("counts", {})
        return {tenant: {period: int(n) for period, n in periods.items()} for tenant, periods in counts.items()}

    # -- request path (memory only) --------------------------------------------------------------
    def used(self, tenant_id: str, period: str) -> int:
        return self._counts.get(tenant_id, {}).get(period, 0)

    def add(self, tenant_id: str, period: str, delta: int) -> int:
        """Add `delta` (negative to give a reservation back); returns the new count."""
        periods = self._counts.setdefault(tenant_id, {})
        periods[period] = max(periods.get(period, 0) + delta, 0)
        self._dirty.set()
        return periods[period]

    def forget(self, tenant_id: str) -> None:
        if self._counts.pop(tenant_id, None) is not None:
            self._dirty.set()

    # -- writer ----------------------------------------------------------------------------------
    def start(self) -> None:
        self._writer = asyncio.create_task(self._run(), name="killtoken-plan-usage-writer")

    async def _run(self) -> None:
        while True:
            await self._dirty.wait()
            await asyncio.sleep(self._flush_interval)  # let a burst of requests share one write
            # Shielded: a write cancelled at shutdown still finishes before close() writes again.
            await asyncio.shield(self.flush())

    async def flush(self) -> None:
        """Write the counts now if anything changed since the last write."""
        async with self._write_lock:
            if not self._dirty.is_set():
                return
            self._dirty.clear()
            snapshot = {tenant: dict(periods) for tenant, periods in self._counts.items()}
            try:
                await asyncio.to_thread(write_json_atomically, self._path, {"version": 1, "counts": snapshot})
            except OSError:
                log.exception("could not write %s; will retry", self._path)
                self._dirty.set()

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._writer
            self._writer = None
        await self.flush()
