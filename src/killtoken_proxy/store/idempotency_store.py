"""Completed idempotency records: in memory for the request path, one file each (named by the hash of
tenant and key) written behind it, so a replay still works after a restart until the record expires.

Memory is bounded (`memory_budget`: KILLTOKEN_IDEMPOTENCY_MEMORY_MB, 64 by default): past it the oldest
records leave memory but not the disk. Only while such spilled records may still be live does a key
missing from memory cost a file read, off the event loop; a daemon within its budget never reads the
disk on the request path.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from killtoken_proxy.store.entry_files import (
    EntryFiles,
    IndexedStore,
    StoredEntry,
    encode_entry,
    record_from,
    record_header,
    stored_entry,
)

RECORD_OVERHEAD = 600  # bytes a record costs in memory beside its body (header fields, dict slot)
SWEEP_EVERY = 3600.0  # seconds between sweeps of spilled records' files once they may have expired


def scope_of(tenant_id: str, key: str) -> str:
    """Keys are scoped per tenant: two tenants using the same key never meet."""
    return hashlib.sha256(f"{tenant_id}\0{key}".encode()).hexdigest()


@dataclass(frozen=True)
class IdempotencyRecord:
    scope: str  # scope_of(tenant, key), also the file name
    tenant_id: str
    fingerprint: str  # of the request the key was first used with
    request_id: str  # the original request
    created_at: float  # epoch seconds
    expires_at: float
    model: str
    value_usd: str | None  # what the original answer cost at the provider; None: unpriced
    body: bytes  # the original answer, JSON (an OpenAI chat.completion)


class IdempotencyStore(IndexedStore):
    def __init__(
        self, files: EntryFiles, *, clock: Callable[[], float] = time.time, memory_budget: int = 64 * 1024 * 1024
    ) -> None:
        super().__init__(files)
        self._clock = clock
        self._budget = memory_budget
        self._records: OrderedDict[str, IdempotencyRecord] = OrderedDict()  # oldest first
        self._bytes = 0
        self._spilled_until = 0.0  # the latest expiry among records moved out of memory
        self._last_sweep = clock()
        self._sweeping: asyncio.Task[None] | None = None
        self._put_while_sweeping: set[str] = set()  # their files are new: a sweep's stale verdict must spare them

    def __len__(self) -> int:
        """Records in memory."""
        return len(self._records)

    async def find(self, scope: str) -> IdempotencyRecord | None:
        """The live record of `scope`, from memory or, past the memory budget, from its file."""
        record = self.get(scope)
        if record is not None or self._clock() >= self._spilled_until:
            return record
        data = await self.files.read(scope)
        stored = stored_entry(scope, data) if data is not None else None
        found = record_from(IdempotencyRecord, stored, "scope") if stored is not None else None
        if found is not None and found.expires_at > self._clock():
            return found
        return self.get(scope)  # it may have completed while the file was read

    def get(self, scope: str) -> IdempotencyRecord | None:
        record = self._records.get(scope)
        if record is not None and record.expires_at <= self._clock():
            self._drop(scope)
            return None
        return record

    def put(self, record: IdempotencyRecord) -> None:
        if self._sweeping is not None:
            self._put_while_sweeping.add(record.scope)
        self._forget(record.scope)
        self._records[record.scope] = record
        self._bytes += _footprint(record)
        self.files.put(record.scope, encode_entry(record_header(record), record.body))
        self._expire_oldest()
        self._spill_oldest()
        self._maybe_sweep()

    def _spill_oldest(self) -> None:
        while self._bytes > self._budget and len(self._records) > 1:
            _, oldest = self._records.popitem(last=False)
            self._bytes -= _footprint(oldest)
            self._spilled_until = max(self._spilled_until, oldest.expires_at)

    def _maybe_sweep(self) -> None:
        """Spilled records' files expire out of sight of `_expire_oldest`: delete them now and then."""
        now = self._clock()
        if not self._spilled_until or now - self._last_sweep < SWEEP_EVERY or self._sweeping is not None:
            return
        self._last_sweep = now
        self._sweeping = asyncio.get_running_loop().create_task(self._sweep(now), name="killtoken-idempotency-sweep")

    async def _sweep(self, now: float) -> None:
        try:
            expired = await asyncio.to_thread(self._expired_files, now)
            for name in expired:
                if name not in self._records and name not in self._put_while_sweeping:  # else the file is new
                    self.files.delete(name)
            if self._clock() >= self._spilled_until:
                self._spilled_until = 0.0  # every spilled record has expired and is gone: no more disk lookups
        finally:
            self._sweeping = None
            self._put_while_sweeping.clear()

    def _expired_files(self, now: float) -> list[str]:
        names = []
        for stored in self.files.scan(at_start=False, headers_only=True):
            record = record_from(IdempotencyRecord, stored, "scope")
            if record is None or record.expires_at <= now:
                names.append(stored.name)
        return names

    async def close(self) -> None:
        self.files.stop_scanning()
        if self._sweeping is not None:
            with contextlib.suppress(Exception):
                await self._sweeping
        await super().close()

    def _read_all(self) -> list[StoredEntry]:
        """At start-up: the newest live records that fit the memory budget, whole; of the older ones only
        the header is read (they stay on disk), so start-up memory is bounded like the running store's."""
        now = self._clock()
        entries: list[StoredEntry] = []
        used = 0
        for head in sorted(self.files.scan(headers_only=True), key=lambda entry: entry.mtime, reverse=True):
            record = record_from(IdempotencyRecord, head, "scope")
            if record is None or record.expires_at <= now:
                entries.append(head)  # `_index` deletes it
                continue
            footprint = head.size - len(encode_entry(head.header, b"")) + RECORD_OVERHEAD  # as `_footprint` counts
            if used + footprint <= self._budget and (whole := self.files.read_entry(head.name)):
                entries.append(whole)
                used += footprint
            else:
                self._spilled_until = max(self._spilled_until, record.expires_at)
        return sorted(entries, key=lambda entry: entry.mtime)

    def _forget(self, scope: str) -> None:
        record = self._records.pop(scope, None)
        if record is not None:
            self._bytes -= _footprint(record)

    def _expire_oldest(self) -> None:
        # Records arrive in time order with one TTL, so the expired ones are at the front; a record
        # that outlives a shortened TTL is still refused by `get`.
        now = self._clock()
        while self._records:
            scope, oldest = next(iter(self._records.items()))
            if oldest.expires_at > now:
                break
            self._drop(scope)

    def _drop(self, scope: str) -> None:
        self._forget(scope)
        self.files.delete(scope)

    def _index(self, entries: list[StoredEntry]) -> None:
        now = self._clock()
        records = [(record_from(IdempotencyRecord, stored, "scope"), stored.name) for stored in entries]
        for record, name in sorted(records, key=lambda pair: pair[0].created_at if pair[0] else 0.0):
            if record is None or record.expires_at <= now:
                self.files.delete(name)
            else:
                self._forget(record.scope)
                self._records[record.scope] = record
                self._bytes += _footprint(record)
        self._spill_oldest()


def _footprint(record: IdempotencyRecord) -> int:
    return len(record.body) + RECORD_OVERHEAD
