"""Provider-credential metadata (never the secret itself) with an in-memory index for the request path."""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from tinydb import Query, TinyDB

from killtoken_proxy.ids import new_id


@dataclass(frozen=True)
class CredentialMeta:
    id: str
    tenant_id: str
    provider: str
    label: str
    last4: str
    created_at: str
    status: str = "active"
    config: dict[str, Any] = field(default_factory=dict)
    updated_at: str | None = None

    def public(self) -> dict[str, Any]:
        """What the API and CLI may show: everything except the tenant id (and no secret, ever)."""
        return {
            "id": self.id,
            "provider": self.provider,
            "label": self.label,
            "last4": self.last4,
            "status": self.status,
            "config": dict(self.config),
            "createdAt": self.created_at,
            "updatedAt": self.updated_at,
        }


def _from_doc(doc: dict[str, Any]) -> CredentialMeta:
    return CredentialMeta(
        id=doc["id"],
        tenant_id=doc["tenant_id"],
        provider=doc["provider"],
        label=doc.get("label", ""),
        last4=doc.get("last4", ""),
        created_at=doc["created_at"],
        status=doc.get("status", "active"),
        config=dict(doc.get("config") or {}),
        updated_at=doc.get("updated_at"),
    )


class CredentialStore:
    def __init__(self, db: TinyDB) -> None:
        self._table = db.table("credentials")
        self._by_id: dict[str, CredentialMeta] = {}
        # tenant -> provider -> the newest active credential: the request path's lookup, rebuilt after a change
        self._reachable: dict[str, dict[str, CredentialMeta]] = {}
        for doc in self._table.all():
            meta = _from_doc(doc)
            self._by_id[meta.id] = meta

    def add(self, tenant_id: str, provider: str, *, label: str, last4: str, config: dict[str, Any]) -> CredentialMeta:
        meta = CredentialMeta(
            id=new_id("cred"),
            tenant_id=tenant_id,
            provider=provider,
            label=label,
            last4=last4,
            created_at=datetime.now(UTC).isoformat(),
            config=dict(config),
        )
        doc = {
            "id": meta.id,
            "tenant_id": tenant_id,
            "provider": provider,
            "label": label,
            "last4": last4,
            "created_at": meta.created_at,
            "status": meta.status,
            "config": meta.config,
        }
        self._table.insert(doc)
        self._by_id[meta.id] = meta
        self._reachable.clear()
        return meta

    def update(self, credential: CredentialMeta, **changes: Any) -> CredentialMeta:
        """Change `label`, `last4`, `status` or `config`; stamps `updated_at`."""
        changes["updated_at"] = datetime.now(UTC).isoformat()
        self._table.update(changes, Query().id == credential.id)
        meta = replace(credential, **changes)
        self._by_id[meta.id] = meta
        self._reachable.clear()
        return meta

    def remove(self, credential: CredentialMeta) -> None:
        self._table.remove(Query().id == credential.id)
        self._by_id.pop(credential.id, None)
        self._reachable.clear()

    def get(self, tenant_id: str, credential_id: str) -> CredentialMeta | None:
        meta = self._by_id.get(credential_id)
        return meta if meta is not None and meta.tenant_id == tenant_id else None

    def list(self, tenant_id: str) -> builtins.list[CredentialMeta]:
        return sorted((m for m in self._by_id.values() if m.tenant_id == tenant_id), key=lambda m: m.id)

    def all(self) -> builtins.list[CredentialMeta]:
        return list(self._by_id.values())

    def active_for(self, tenant_id: str, provider: str) -> CredentialMeta | None:
        """The newest active credential of this tenant for this provider."""
        return self.reachable(tenant_id).get(provider)

    def reachable(self, tenant_id: str) -> Mapping[str, CredentialMeta]:
        """Each provider this tenant has an active credential for, with the newest one (read-only)."""
        found = self._reachable.get(tenant_id)
        if found is None:
            found = {}
            for meta in self.list(tenant_id):  # sorted by id, so later (newer) ones win
                if meta.status == "active":
                    found[meta.provider] = meta
            self._reachable[tenant_id] = found
        return found
