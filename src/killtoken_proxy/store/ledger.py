"""The request ledger: records are queued in memory and persisted in batches by one writer task.

Records live in monthly TinyDB files (`ledger/requests-YYYY-MM.json`) so no single file grows
without bound; the request path only appends to an in-memory queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tinydb import TinyDB

from killtoken_proxy.store.atomic_storage import AtomicJSONStorage

log = logging.getLogger("killtoken.ledger")

Record = dict[str, Any]


def _month_of(record: Record) -> str:
    return str(record["created_at"])[:7]  # ISO timestamps: "YYYY-MM"


class Ledger:
    def __init__(self, folder: Path, *, batch_max: int = 500, batch_wait: float = 0.05) -> None:
        self._folder = folder
        self._batch_max = batch_max
        self._batch_wait = batch_wait
        self._queue: asyncio.Queue[Record] = asyncio.Queue()
        self._files: dict[str, TinyDB] = {}
        self._lock = threading.Lock()
        self._writer: asyncio.Task[None] | None = None

    # -- request path ---------------------------------------------------------------------------
    def record(self, record: Record) -> None:
        """Queue one record; never waits for the disk."""
        self._queue.put_nowait(record)

    # -- writer ---------------------------------------------------------------------------------
    def start(self) -> None:
        self._folder.mkdir(parents=True, exist_ok=True)
        self._writer = asyncio.create_task(self._run(), name="killtoken-ledger-writer")

    async def flush(self) -> None:
        """Wait until everything queued so far is on disk."""
        if self._writer is None:
            await self._drain_now()
        else:
            await self._queue.join()

    async def close(self) -> None:
        if self._writer is not None:
            try:
                await asyncio.wait_for(self._queue.join(), timeout=10.0)
            except TimeoutError:
                log.error("ledger: %d records could not be written before shutdown", self._queue.qsize())
            self._writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._writer
            self._writer = None
        await self._drain_now()
        with self._lock:
            for db in self._files.values():
                db.close()
            self._files.clear()

    async def _run(self) -> None:
        while True:
            batch = [await self._queue.get()]
            deadline = asyncio.get_running_loop().time() + self._batch_wait
            while len(batch) < self._batch_max:
                remaining = deadline - asyncio.get_running_loop().time()
                if remaining <= 0:
                    break
                try:
                    batch.append(await asyncio.wait_for(self._queue.get(), remaining))
                except TimeoutError:
                    break
            await self._persist(batch)

    async def _drain_now(self) -> None:
        batch: list[Record] = []
        while not self._queue.empty():
            batch.append(self._queue.get_nowait())
        if batch:
            await self._persist(batch)

    async def _persist(self, batch: list[Record]) -> None:
        try:
            await asyncio.to_thread(self._write_batch, batch)
        except Exception:
            # Keep the records: put them back so the next batch (or shutdown) retries them.
            log.exception("ledger write failed; %d records kept in memory for retry", len(batch))
            for record in batch:
                self._queue.put_nowait(record)
            await asyncio.sleep(1.0)
        finally:
            for _ in batch:
                self._queue.task_done()

    def _write_batch(self, batch: list[Record]) -> None:
        by_month: dict[str, list[Record]] = {}
        for record in batch:
            by_month.setdefault(_month_of(record), []).append(record)
        with self._lock:
            for month, records in by_month.items():
                self._file(month).table("requests").insert_multiple(records)

    def _file(self, month: str) -> TinyDB:
        db = self._files.get(month)
        if db is None:
            db = TinyDB(self._folder / f"requests-{month}.json", storage=AtomicJSONStorage)
            self._files[month] = db
        return db

    # -- reads (not on the request path) ---------------------------------------------------------
    def _months_newest_first(self) -> list[str]:
        months = {p.stem.removeprefix("requests-") for p in self._folder.glob("requests-*.json")}
        months.update(self._files)
        return sorted(months, reverse=True)

    def _iter_newest_first(self, tenant_id: str) -> Iterator[Record]:
        for month in self._months_newest_first():
            rows = [r for r in self._file(month).table("requests").all() if r.get("tenant_id") == tenant_id]
            rows.sort(key=lambda r: r["id"], reverse=True)
            yield from (dict(r) for r in rows)

    def query(
        self,
        tenant_id: str,
        *,
        limit: int,
        before: str | None = None,
        feature: str | None = None,
        provider: str | None = None,
    ) -> list[Record]:
        """Newest first; `before` is a request id cursor (ids are time-sortable)."""
        out: list[Record] = []
        with self._lock:
            for record in self._iter_newest_first(tenant_id):
                if before is not None and record["id"] >= before:
                    continue
                if feature is not None and record.get("feature") != feature:
                    continue
                if provider is not None and record.get("provider") != provider:
                    continue
                out.append(record)
                if len(out) >= limit:
                    break
        return out

    def get(self, tenant_id: str, request_id: str) -> Record | None:
        with self._lock:
            for month in self._months_newest_first():
                for record in self._file(month).table("requests").all():
                    if record.get("id") == request_id and record.get("tenant_id") == tenant_id:
                        return dict(record)
        return None
