"""Tenants and their `kt_` keys: keys are stored as SHA-256 hashes and resolved from an in-memory index."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tinydb import Query, TinyDB

from killtoken_proxy.ids import new_id

KEY_PREFIX = "kt_"
DEFAULT_TENANT = "default"


@dataclass(frozen=True)
class Tenant:
    id: str
    name: str
    status: str

    @property
    def suspended(self) -> bool:
        return self.status == "suspended"


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def new_tenant_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


class TenantStore:
    def __init__(self, db: TinyDB) -> None:
        self._table = db.table("tenants")
        self._by_key_hash: dict[str, Tenant] = {}
        self._by_id: dict[str, Tenant] = {}
        for doc in self._table.all():
            self._index(doc)

    def _index(self, doc: dict[str, Any]) -> Tenant:
        tenant = Tenant(id=doc["id"], name=doc["name"], status=doc.get("status", "active"))
        self._by_id[tenant.id] = tenant
        for key in doc.get("keys", []):
            if not key.get("revoked_at"):
                self._by_key_hash[key["hash"]] = tenant
        return tenant

    def create(self, name: str) -> tuple[Tenant, str]:
        """Create a tenant with one fresh key; the plaintext key is returned once and never stored."""
        key = new_tenant_key()
        now = datetime.now(UTC).isoformat()
        doc = {
            "id": new_id("tn"),
            "name": name,
            "status": "active",
            "created_at": now,
            "keys": [{"hash": hash_key(key), "prefix": key[:7], "created_at": now}],
        }
        self._table.insert(doc)
        return self._index(doc), key

    def by_name(self, name: str) -> Tenant | None:
        return next((t for t in self._by_id.values() if t.name == name), None)

    def get(self, tenant_id: str) -> Tenant | None:
        return self._by_id.get(tenant_id)

    def resolve(self, key: str) -> Tenant | None:
        # Looking up the SHA-256 of the presented key leaks nothing usable through timing:
        # an attacker learns about hash prefixes, not about the key.
        return self._by_key_hash.get(hash_key(key))

    def doc(self, tenant_id: str) -> dict[str, Any] | None:
        found = self._table.get(Query().id == tenant_id)
        return dict(found) if found else None
