"""Exact-cache entries: an in-memory LRU index (O(1) lookups; a miss never touches the disk), bounded
in bytes, expiring by TTL, mirrored to one file per entry (named by its key) so it survives restarts.
"""

from __future__ import annotations

import heapq
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from killtoken_proxy.store.cache_counters import CacheCounters
from killtoken_proxy.store.entry_files import (
    EntryFiles,
    IndexedStore,
    StoredEntry,
    encode_entry,
    record_from,
    record_header,
)


@dataclass(frozen=True)
class CacheEntry:
    key: str  # the SHA-256 cache key (tenant included), also the file name
    tenant_id: str
    created_at: float  # epoch seconds
    expires_at: float
    request_id: str  # the request whose provider answer this is
    model: str  # the model the provider reported
    value_usd: str | None  # what that answer cost at the provider (exact decimal); None: unpriced
    body: bytes  # the provider's answer, JSON (an OpenAI chat.completion)


class CacheStore(IndexedStore):
    def __init__(self, files: EntryFiles, *, max_bytes: int, clock: Callable[[], float] = time.time) -> None:
        super().__init__(files)
        self.max_bytes = max_bytes
        self.counters = CacheCounters(files)
        self._clock = clock
        self._lru: OrderedDict[str, tuple[CacheEntry, int]] = OrderedDict()  # oldest use first
        self._expiry: list[tuple[float, str, float]] = []  # heap of (expires_at, key, created_at)
        self.total_bytes = 0

    # -- lookups and writes (memory only; the files follow behind) --------------------------------
    def get(self, tenant_id: str, key: str, *, max_age: float | None = None) -> CacheEntry | None:
        slot = self._lru.get(key)
        if slot is None:
            return None
        entry, _ = slot
        now = self._clock()
        if entry.expires_at <= now:
            self._drop(key)
            return None
        if entry.tenant_id != tenant_id or (max_age is not None and now - entry.created_at >= max_age):
            return None
        self._lru.move_to_end(key)
        self.files.touch(key)
        return entry

    def put(self, entry: CacheEntry) -> bool:
        """Store (or replace) an entry; False when it alone is larger than the whole cache may be."""
        data = encode_entry(record_header(entry), entry.body)
        if len(data) > self.max_bytes:
            return False
        self._insert(entry, len(data))
        self.files.put(entry.key, data)
        self._expire(self._clock())
        self._evict()
        return True

    def remove(self, tenant_id: str, *, older_than: float | None = None) -> tuple[int, int]:
        """Remove a tenant's entries (those created more than `older_than` seconds ago); (count, bytes)."""
        cutoff = None if older_than is None else self._clock() - older_than
        doomed = [
            key
            for key, (entry, _) in self._lru.items()
            if entry.tenant_id == tenant_id and (cutoff is None or entry.created_at <= cutoff)
        ]
        freed = sum(self._drop(key) for key in doomed)
        return len(doomed), freed

    def usage(self, tenant_id: str) -> tuple[int, int]:
        """A tenant's live entries and their bytes (expired ones are dropped first)."""
        self._expire(self._clock())
        sizes = [size for entry, size in self._lru.values() if entry.tenant_id == tenant_id]
        return len(sizes), sum(sizes)

    # -- bookkeeping -----------------------------------------------------------------------------
    def _insert(self, entry: CacheEntry, size: int) -> None:
        if entry.key in self._lru:
            self._drop(entry.key, keep_file=True)
        self._lru[entry.key] = (entry, size)
        self.total_bytes += size
        heapq.heappush(self._expiry, (entry.expires_at, entry.key, entry.created_at))

    def _drop(self, key: str, *, keep_file: bool = False) -> int:
        _, size = self._lru.pop(key)
        self.total_bytes -= size
        if not keep_file:
            self.files.delete(key)
        return size

    def _expire(self, now: float) -> None:
        while self._expiry and self._expiry[0][0] <= now:
            expires_at, key, created_at = heapq.heappop(self._expiry)
            slot = self._lru.get(key)
            if slot is not None and (slot[0].expires_at, slot[0].created_at) == (expires_at, created_at):
                self._drop(key)
        if len(self._expiry) > 2 * len(self._lru) + 1024:  # replaced and evicted entries left stale items
            self._expiry = [(e.expires_at, k, e.created_at) for k, (e, _) in self._lru.items()]
            heapq.heapify(self._expiry)

    def _evict(self) -> None:
        while self.total_bytes > self.max_bytes and self._lru:
            self._drop(next(iter(self._lru)))

    # -- startup ---------------------------------------------------------------------------------
    def _read_all(self) -> list[StoredEntry]:
        self.counters.load()
        return super()._read_all()

    def _index(self, entries: list[StoredEntry]) -> None:
        now = self._clock()
        for stored in entries:  # oldest use first, so the LRU order survives the restart
            entry = record_from(CacheEntry, stored, "key")
            if entry is None or entry.expires_at <= now:
                self.files.delete(stored.name)
                continue
            self._insert(entry, stored.size)
        self._evict()
