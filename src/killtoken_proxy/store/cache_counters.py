"""Per-tenant exact-cache counters (lookups, hits, writes, verified savings), kept in memory and
persisted behind the request as one small file, so `kt cache stats` means the same after a restart.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from killtoken_proxy.money import money_text
from killtoken_proxy.store.entry_files import EntryFiles

log = logging.getLogger("killtoken.store")

FILE_NAME = "_counters.json"


@dataclass
class TenantCounters:
    lookups: int = 0  # requests that read the cache (read_only, read_write)
    hits: int = 0
    writes: int = 0  # answers stored
    saved_usd: Decimal = Decimal(0)  # verified savings of the priced hits
    unpriced_hits: int = 0  # hits whose original answer had no known price (savings unknown)

    def to_json(self) -> dict[str, Any]:
        return {
            "lookups": self.lookups,
            "hits": self.hits,
            "writes": self.writes,
            "savedUsd": money_text(self.saved_usd),
            "unpricedHits": self.unpriced_hits,
        }

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> TenantCounters:
        return cls(
            lookups=int(doc.get("lookups", 0)),
            hits=int(doc.get("hits", 0)),
            writes=int(doc.get("writes", 0)),
            saved_usd=Decimal(str(doc.get("savedUsd", "0"))),
            unpriced_hits=int(doc.get("unpricedHits", 0)),
        )


class CacheCounters:
    def __init__(self, files: EntryFiles) -> None:
        self._files = files
        self._tenants: dict[str, TenantCounters] = {}
        self.since = datetime.now(UTC).isoformat()

    def of(self, tenant_id: str) -> TenantCounters:
        return self._tenants.get(tenant_id) or TenantCounters()

    def lookup(self, tenant_id: str, *, hit: bool, saved_usd: Decimal | None = None) -> None:
        counters = self._tenants.setdefault(tenant_id, TenantCounters())
        counters.lookups += 1
        if hit:
            counters.hits += 1
            if saved_usd is None:
                counters.unpriced_hits += 1
            else:
                counters.saved_usd += saved_usd
        self._save()

    def write(self, tenant_id: str) -> None:
        self._tenants.setdefault(tenant_id, TenantCounters()).writes += 1
        self._save()

    def _save(self) -> None:
        self._files.put(FILE_NAME, self._encode)  # encoded when written: bursts coalesce into one write

    def _encode(self) -> bytes:
        doc = {"since": self.since, "tenants": {t: c.to_json() for t, c in self._tenants.items()}}
        return json.dumps(doc, separators=(",", ":")).encode("utf-8")

    def load(self) -> None:
        raw = self._files.read_file(FILE_NAME)
        if raw is None:
            return
        try:
            doc = json.loads(raw)
            tenants = {t: TenantCounters.from_json(c) for t, c in doc["tenants"].items()}
            since = str(doc["since"])
        except (ValueError, KeyError, TypeError, AttributeError, InvalidOperation):
            log.warning("cache counters file is damaged; counting from zero")
            return
        self._tenants, self.since = tenants, since
