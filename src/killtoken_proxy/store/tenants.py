"""Tenants, their plans and their `kt_` keys: keys are stored as SHA-256 hashes, resolved from memory.

The daemon is the only writer, so the in-memory indexes are always current; a suspension, a
revocation or a removal takes effect on the very next request.
"""

from __future__ import annotations

import builtins
import hashlib
import secrets
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from tinydb import Query, TinyDB

from killtoken_proxy.ids import new_id
from killtoken_proxy.plans import DEFAULT_PLAN, DEFAULT_RATE_LIMIT_PER_MINUTE, PLANS

KEY_PREFIX = "kt_"
DEFAULT_TENANT = "default"
_SHOWN_PREFIX_CHARS = len(KEY_PREFIX) + 4


@dataclass(frozen=True)
class Tenant:
    id: str
    name: str
    status: str = "active"
    plan: str = DEFAULT_PLAN
    monthly_requests: int | None = None  # None: no monthly limit
    rate_limit_per_minute: int = DEFAULT_RATE_LIMIT_PER_MINUTE
    created_at: str = ""
    default_provider: str | None = None  # serves model names no routing rule places (README: routing)

    @property
    def suspended(self) -> bool:
        return self.status == "suspended"


@dataclass(frozen=True)
class TenantKey:
    """A key's metadata: enough to recognise it (`kt_AbCd…wxyz`), never enough to use it."""

    id: str
    tenant_id: str
    label: str
    prefix: str
    last4: str
    created_at: str
    revoked_at: str | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "label": self.label,
            "display": f"{self.prefix}…{self.last4}",
            "prefix": self.prefix,
            "last4": self.last4,
            "status": "active" if self.active else "revoked",
            "createdAt": self.created_at,
            "revokedAt": self.revoked_at,
        }


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def new_tenant_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _tenant_from(doc: dict[str, Any]) -> Tenant:
    plan = doc.get("plan", DEFAULT_PLAN)
    return Tenant(
        id=doc["id"],
        name=doc["name"],
        status=doc.get("status", "active"),
        plan=plan,
        monthly_requests=doc["monthly_requests"] if "monthly_requests" in doc else PLANS.get(plan),
        rate_limit_per_minute=doc.get("rate_limit_per_minute", DEFAULT_RATE_LIMIT_PER_MINUTE),
        created_at=doc.get("created_at", ""),
        default_provider=doc.get("default_provider"),
    )


def _key_from(tenant_id: str, doc: dict[str, Any]) -> TenantKey:
    return TenantKey(
        # Keys created before key ids existed get a stable id derived from their hash.
        id=doc.get("id") or "key_" + doc["hash"][:26],
        tenant_id=tenant_id,
        label=doc.get("label", ""),
        prefix=doc.get("prefix", KEY_PREFIX),
        last4=doc.get("last4", ""),
        created_at=doc.get("created_at", ""),
        revoked_at=doc.get("revoked_at"),
    )


def _key_doc(key: str, label: str) -> dict[str, Any]:
    return {
        "id": new_id("key"),
        "hash": hash_key(key),
        "prefix": key[:_SHOWN_PREFIX_CHARS],
        "last4": key[-4:],
        "label": label,
        "created_at": _now(),
    }


class TenantStore:
    def __init__(self, db: TinyDB) -> None:
        self._table = db.table("tenants")
        self._by_id: dict[str, Tenant] = {}
        self._keys: dict[str, builtins.list[TenantKey]] = {}
        self._tenant_of_hash: dict[str, str] = {}
        self._revoked_hashes: set[str] = set()  # so a revoked key is told it was revoked, not "invalid"
        for doc in self._table.all():
            self._index(doc)

    def _index(self, doc: dict[str, Any]) -> Tenant:
        tenant = _tenant_from(doc)
        self._by_id[tenant.id] = tenant
        self._keys[tenant.id] = []
        for key_doc in doc.get("keys", []):
            key = _key_from(tenant.id, key_doc)
            self._keys[tenant.id].append(key)
            if key.active:
                self._tenant_of_hash[key_doc["hash"]] = tenant.id
            else:
                self._revoked_hashes.add(key_doc["hash"])
        return tenant

    def _doc(self, tenant_id: str) -> dict[str, Any]:
        found = self._table.get(Query().id == tenant_id)
        assert found is not None, f"tenant {tenant_id} is indexed but not stored"
        return dict(found)

    # -- tenants ---------------------------------------------------------------------------------
    def create(
        self,
        name: str,
        *,
        plan: str = DEFAULT_PLAN,
        monthly_requests: int | None = None,
        rate_limit_per_minute: int = DEFAULT_RATE_LIMIT_PER_MINUTE,
        default_provider: str | None = None,
        key_label: str = "",
    ) -> tuple[Tenant, str]:
        """Create a tenant with one fresh key; the plaintext key is returned once and never stored."""
        key = new_tenant_key()
        doc = {
            "id": new_id("tn"),
            "name": name,
            "status": "active",
            "plan": plan,
            "monthly_requests": PLANS.get(plan, monthly_requests),
            "rate_limit_per_minute": rate_limit_per_minute,
            "default_provider": default_provider,
            "created_at": _now(),
            "keys": [_key_doc(key, key_label)],
        }
        self._table.insert(doc)
        return self._index(doc), key

    def by_name(self, name: str) -> Tenant | None:
        return next((t for t in self._by_id.values() if t.name == name), None)

    def get(self, tenant_id: str) -> Tenant | None:
        return self._by_id.get(tenant_id)

    def find(self, ref: str) -> Tenant | None:
        """A tenant by id (`tn_...`) or by name."""
        return self._by_id.get(ref) or self.by_name(ref)

    def all(self) -> builtins.list[Tenant]:
        return sorted(self._by_id.values(), key=lambda t: t.id)

    def update(self, tenant_id: str, **changes: Any) -> Tenant:
        """Change stored fields (`name`, `status`, `plan`, `monthly_requests`, `rate_limit_per_minute`,
        `default_provider`)."""
        self._table.update(changes, Query().id == tenant_id)
        tenant = replace(self._by_id[tenant_id], **changes)
        self._by_id[tenant_id] = tenant
        return tenant

    def remove(self, tenant_id: str) -> None:
        self._table.remove(Query().id == tenant_id)
        self._by_id.pop(tenant_id, None)
        self._keys.pop(tenant_id, None)
        for key_hash in [h for h, owner in self._tenant_of_hash.items() if owner == tenant_id]:
            del self._tenant_of_hash[key_hash]

    def resolve(self, key: str) -> Tenant | None:
        # The index is keyed by the SHA-256 of the presented key, so lookup timing can only tell an
        # attacker about hashes of keys they chose, never about a stored key.
        tenant_id = self._tenant_of_hash.get(hash_key(key))
        return self._by_id.get(tenant_id) if tenant_id is not None else None

    def was_revoked(self, key: str) -> bool:
        return hash_key(key) in self._revoked_hashes

    # -- keys ------------------------------------------------------------------------------------
    def keys(self, tenant_id: str) -> builtins.list[TenantKey]:
        return list(self._keys.get(tenant_id, []))

    def issue_key(self, tenant_id: str, label: str = "") -> tuple[TenantKey, str]:
        key = new_tenant_key()
        key_doc = _key_doc(key, label)
        doc = self._doc(tenant_id)
        self._table.update({"keys": [*doc.get("keys", []), key_doc]}, Query().id == tenant_id)
        meta = _key_from(tenant_id, key_doc)
        self._keys[tenant_id].append(meta)
        self._tenant_of_hash[key_doc["hash"]] = tenant_id
        return meta, key

    def revoke_key(self, tenant_id: str, key_id: str) -> TenantKey | None:
        """Revoke at once (the key stops resolving); None when the tenant has no such key."""
        doc = self._doc(tenant_id)
        key_docs = [dict(k) for k in doc.get("keys", [])]
        found = next((k for k in key_docs if _key_from(tenant_id, k).id == key_id), None)
        if found is None:
            return None
        found.setdefault("revoked_at", None)
        if found["revoked_at"] is None:
            found["revoked_at"] = _now()
            self._table.update({"keys": key_docs}, Query().id == tenant_id)
        self._tenant_of_hash.pop(found["hash"], None)
        self._revoked_hashes.add(found["hash"])
        self._keys[tenant_id] = [_key_from(tenant_id, k) for k in key_docs]
        return _key_from(tenant_id, found)
