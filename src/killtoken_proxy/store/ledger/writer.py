"""`Ledger`: the request path appends records to memory; one writer task persists them in batches.

Durability bound: a record is on disk once the batch holding it is written, at most `batch_wait`
(50 ms) after it was queued plus one write. A crash (kill -9, power loss) loses the records still
queued or in the batch being written; a clean shutdown writes everything first.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from killtoken_proxy.store.ledger import query
from killtoken_proxy.store.ledger.files import LedgerFiles, LedgerLimits
from killtoken_proxy.store.ledger.filters import RecordFilter
from killtoken_proxy.store.ledger.records import Record

log = logging.getLogger("killtoken.ledger")

FLUSH_TIMEOUT = 5.0
RETRY_PAUSE = 1.0


class Ledger:
    def __init__(
        self,
        folder: Path,
        *,
        batch_max: int = 500,
        batch_wait: float = 0.05,
        segment_records: int = 1000,
        segment_bytes: int = 1 << 20,
        repeat_ttl: float = 3600.0,
    ) -> None:
        self.files = LedgerFiles(folder, LedgerLimits(segment_records, segment_bytes, repeat_ttl))
        self._batch_max = batch_max
        self._batch_wait = batch_wait
        self._pending: deque[Record] = deque()
        self._queued = 0  # records ever queued / ever written: flush() waits for the first to reach the second
        self._written = 0
        self._arrived = asyncio.Event()
        self._hurry = asyncio.Event()
        self._progress = asyncio.Condition()
        self._writer: asyncio.Task[None] | None = None
        self._inflight: asyncio.Future[bool] | None = None
        self._backlog_warned = 0.0

    # -- request path ---------------------------------------------------------------------------
    def record(self, record: Record) -> None:
        """Queue one record; never waits for the disk."""
        self._pending.append(record)
        self._queued += 1
        self._arrived.set()
        if len(self._pending) >= self._batch_max:
            self._hurry.set()
            self._warn_backlog()

    # -- lifecycle ------------------------------------------------------------------------------
    def start(self) -> None:
        self.files.load()
        self._writer = asyncio.create_task(self._run(), name="killtoken-ledger-writer")

    async def flush(self) -> None:
        """Wait until everything queued so far is on disk (bounded: a failing disk does not hang readers)."""
        if self._writer is None:
            await self._write_now()
            return
        target = self._queued
        if self._written >= target:
            return
        self._hurry.set()  # write what is queued now instead of waiting out the batch window
        async with self._progress:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._progress.wait_for(lambda: self._written >= target), FLUSH_TIMEOUT)

    async def close(self) -> None:
        if self._writer is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.flush(), 10.0)
            self._writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._writer
            self._writer = None
        if self._inflight is not None:
            await self._inflight  # a batch the cancelled writer was persisting: let it finish (or requeue)
        await self._write_now()
        if self._pending:
            log.error("ledger: %d records could not be written before shutdown", len(self._pending))
        await asyncio.to_thread(self.files.close)

    # -- writer ---------------------------------------------------------------------------------
    async def _run(self) -> None:
        while True:
            while not self._pending:
                self._arrived.clear()
                await self._arrived.wait()
            if len(self._pending) < self._batch_max and not self._hurry.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._hurry.wait(), self._batch_wait)
            self._hurry.clear()
            batch = [self._pending.popleft() for _ in range(min(self._batch_max, len(self._pending)))]
            self._inflight = asyncio.ensure_future(self._persist(batch))
            ok = await asyncio.shield(self._inflight)
            self._inflight = None
            if not ok:
                await asyncio.sleep(RETRY_PAUSE)

    async def _write_now(self) -> None:
        while self._pending:
            batch = [self._pending.popleft() for _ in range(min(self._batch_max, len(self._pending)))]
            if not await self._persist(batch):
                return

    async def _persist(self, batch: list[Record]) -> bool:
        try:
            unwritten = await asyncio.to_thread(self.files.append, batch)
        except Exception:
            log.exception("ledger write failed; %d records kept in memory for retry", len(batch))
            unwritten = batch
        self._pending.extendleft(reversed(unwritten))
        self._written += len(batch) - len(unwritten)
        async with self._progress:
            self._progress.notify_all()
        return not unwritten

    def _warn_backlog(self) -> None:
        now = time.monotonic()
        if len(self._pending) >= 4 * self._batch_max and now - self._backlog_warned > 60:
            self._backlog_warned = now
            log.warning("ledger: %d records waiting for the disk; the writer is not keeping up", len(self._pending))

    # -- synchronous access (reads; the benchmark and tests write with `append`) -------------------
    def append(self, records: list[Record]) -> None:
        unwritten = self.files.append(records)
        if unwritten:
            raise OSError(f"ledger: {len(unwritten)} records could not be written")

    def query(
        self,
        tenant_id: str,
        *,
        limit: int,
        before: str | None = None,
        feature: str | None = None,
        provider: str | None = None,
        model: str | None = None,
        status: str | None = None,
        cache_status: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> list[Record]:
        """Newest first; `before` is a request-id cursor (ids sort by time)."""
        wanted = RecordFilter(tenant_id, feature, provider, model, status, cache_status, start, end, before)
        return self.page(wanted, limit)

    def page(self, wanted: RecordFilter, limit: int) -> list[Record]:
        return query.page(self.files, wanted, limit)

    def get(self, tenant_id: str, request_id: str) -> Record | None:
        return query.get(self.files, tenant_id, request_id)

    def iterate(self, wanted: RecordFilter) -> Iterator[Record]:
        return query.iterate(self.files, wanted)

    def count_upper_bound(self, wanted: RecordFilter) -> int:
        return query.count_upper_bound(self.files, wanted)

    def models_called(self, tenant_id: str) -> frozenset[tuple[str, str]]:
        """(provider, model) pairs this tenant has called successfully: from memory, no lock, no disk."""
        return self.files.rollups.called(tenant_id)
