"""Prompt templates and their versions per tenant, in TinyDB, with an in-memory index for the request path."""

from __future__ import annotations

import builtins
import copy
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tinydb import Query, TinyDB

from killtoken_proxy.ids import new_id


@dataclass(frozen=True)
class TemplateVersion:
    version: int
    created_at: str
    fields: dict[str, Any]  # messages, description and the defaults (provider, model, optimizationMode, cachePolicy)

    @property
    def messages(self) -> list[dict[str, Any]]:
        # A deep copy: rendering and the optimizers must never reach the stored template.
        return copy.deepcopy(self.fields["messages"])


@dataclass(frozen=True)
class Template:
    id: str
    tenant_id: str
    name: str
    created_at: str
    versions: tuple[TemplateVersion, ...]

    @property
    def latest(self) -> TemplateVersion:
        return self.versions[-1]

    def version(self, number: int) -> TemplateVersion | None:
        return self.versions[number - 1] if 1 <= number <= len(self.versions) else None


def _from_doc(doc: dict[str, Any]) -> Template:
    return Template(
        id=doc["id"],
        tenant_id=doc["tenant_id"],
        name=doc["name"],
        created_at=doc["created_at"],
        versions=tuple(TemplateVersion(v["version"], v["created_at"], dict(v["fields"])) for v in doc["versions"]),
    )


def _version_doc(number: int, fields: dict[str, Any]) -> dict[str, Any]:
    return {"version": number, "created_at": datetime.now(UTC).isoformat(), "fields": copy.deepcopy(fields)}


class TemplateStore:
    def __init__(self, db: TinyDB) -> None:
        self._table = db.table("templates")
        self._by_id: dict[str, Template] = {}
        self._by_name: dict[tuple[str, str], str] = {}
        for doc in self._table.all():
            self._index(_from_doc(doc))

    def _index(self, template: Template) -> Template:
        previous = self._by_id.get(template.id)
        if previous is not None:
            self._by_name.pop((previous.tenant_id, previous.name), None)
        self._by_id[template.id] = template
        self._by_name[(template.tenant_id, template.name)] = template.id
        return template

    def add(self, tenant_id: str, name: str, fields: dict[str, Any]) -> Template:
        doc = {
            "id": new_id("tpl"),
            "tenant_id": tenant_id,
            "name": name,
            "created_at": datetime.now(UTC).isoformat(),
            "versions": [_version_doc(1, fields)],
        }
        self._table.insert(doc)
        return self._index(_from_doc(doc))

    def add_version(self, template: Template, fields: dict[str, Any], *, name: str | None = None) -> Template:
        """Old versions stay as they were; the new one gets the next number."""
        doc = self._table.get(Query().id == template.id)
        assert isinstance(doc, dict)
        versions = [*doc["versions"], _version_doc(len(doc["versions"]) + 1, fields)]
        changes = {"versions": versions, "name": name or template.name}
        self._table.update(changes, Query().id == template.id)
        return self._index(_from_doc({**doc, **changes}))

    def remove(self, template: Template) -> None:
        self._table.remove(Query().id == template.id)
        self._by_id.pop(template.id, None)
        self._by_name.pop((template.tenant_id, template.name), None)

    def get(self, tenant_id: str, template_id: str) -> Template | None:
        template = self._by_id.get(template_id)
        return template if template is not None and template.tenant_id == tenant_id else None

    def by_name(self, tenant_id: str, name: str) -> Template | None:
        template_id = self._by_name.get((tenant_id, name))
        return self._by_id.get(template_id) if template_id is not None else None

    def list(self, tenant_id: str) -> builtins.list[Template]:
        return sorted((t for t in self._by_id.values() if t.tenant_id == tenant_id), key=lambda t: t.id)
