"""Completed idempotency records: in memory for the request path, one file each (named by the hash of
tenant and key) written behind it, so a replay still works after a restart until the record expires.
"""

from __future__ import annotations

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
)


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
    def __init__(self, files: EntryFiles, *, clock: Callable[[], float] = time.time) -> None:
        super().__init__(files)
        self._clock = clock
        self._records: OrderedDict[str, IdempotencyRecord] = OrderedDict()  # oldest first

    def __len__(self) -> int:
        return len(self._records)

    def get(self, scope: str) -> IdempotencyRecord | None:
        record = self._records.get(scope)
        if record is not None and record.expires_at <= self._clock():
            self._drop(scope)
            return None
        return record

    def put(self, record: IdempotencyRecord) -> None:
        self._records.pop(record.scope, None)
        self._records[record.scope] = record
        self.files.put(record.scope, encode_entry(record_header(record), record.body))
        self._expire_oldest()

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
        del self._records[scope]
        self.files.delete(scope)

    def _index(self, entries: list[StoredEntry]) -> None:
        now = self._clock()
        records = [(record_from(IdempotencyRecord, stored, "scope"), stored.name) for stored in entries]
        for record, name in sorted(records, key=lambda pair: pair[0].created_at if pair[0] else 0.0):
            if record is None or record.expires_at <= now:
                self.files.delete(name)
            else:
                self._records[record.scope] = record
