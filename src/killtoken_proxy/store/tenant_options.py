"""Per-tenant ledger options (today: whether request content is stored), in TinyDB with a memory index."""

from __future__ import annotations

from typing import Any

from tinydb import Query, TinyDB


class TenantOptions:
    """Read on the request path from memory; written only by the settings API."""

    def __init__(self, db: TinyDB) -> None:
        self._table = db.table("tenant_options")
        self._store_content: set[str] = {
            doc["tenant_id"] for doc in self._table.all() if doc.get("store_content") is True
        }

    def store_content(self, tenant_id: str) -> bool:
        return tenant_id in self._store_content

    def public(self, tenant_id: str) -> dict[str, Any]:
        return {"storeContent": self.store_content(tenant_id)}

    def set_store_content(self, tenant_id: str, enabled: bool) -> None:
        self._table.upsert({"tenant_id": tenant_id, "store_content": enabled}, Query().tenant_id == tenant_id)
        if enabled:
            self._store_content.add(tenant_id)
        else:
            self._store_content.discard(tenant_id)
