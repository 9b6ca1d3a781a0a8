"""Per-tenant price overrides (negotiated rates, custom models), in USD per 1M tokens, kept in TinyDB."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from tinydb import Query, TinyDB

from killtoken_proxy.gateway.pricing import PriceBook, PriceTable, override_table
from killtoken_proxy.money import money_text


@dataclass(frozen=True)
class PriceOverride:
    tenant_id: str
    provider: str
    model: str
    input: Decimal
    output: Decimal
    cached_input: Decimal | None
    cache_write: Decimal | None
    updated_at: str

    def table(self) -> PriceTable:
        return override_table(self.input, self.output, self.cached_input, self.cache_write)

    def public(self) -> dict[str, Any]:
        return {
            "provider": self.provider,
            "model": self.model,
            "unit": "USD per 1M tokens",
            "input": _text(self.input),
            "output": _text(self.output),
            "cachedInput": _text(self.cached_input),
            "cacheWrite": _text(self.cache_write),
            "updatedAt": self.updated_at,
        }


def _text(value: Decimal | None) -> str | None:
    return money_text(value)


def _decimal(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _from_doc(doc: dict[str, Any]) -> PriceOverride:
    return PriceOverride(
        tenant_id=doc["tenant_id"],
        provider=doc["provider"],
        model=doc["model"],
        input=Decimal(doc["input"]),
        output=Decimal(doc["output"]),
        cached_input=_decimal(doc.get("cached_input")),
        cache_write=_decimal(doc.get("cache_write")),
        updated_at=doc["updated_at"],
    )


class PriceOverrideStore:
    """Writes go to TinyDB and straight into the PriceBook, so the next request is priced with them."""

    def __init__(self, db: TinyDB, book: PriceBook) -> None:
        self._table = db.table("price_overrides")
        self._book = book
        for doc in self._table.all():
            override = _from_doc(doc)
            book.set_override(override.tenant_id, override.provider, override.model, override.table())

    def list(self, tenant_id: str) -> list[PriceOverride]:
        found = [_from_doc(d) for d in self._table.search(Query().tenant_id == tenant_id)]
        return sorted(found, key=lambda o: (o.provider, o.model))

    def set(
        self,
        tenant_id: str,
        provider: str,
        model: str,
        *,
        input: Decimal,
        output: Decimal,
        cached_input: Decimal | None = None,
        cache_write: Decimal | None = None,
    ) -> PriceOverride:
        override = PriceOverride(
            tenant_id, provider, model, input, output, cached_input, cache_write, datetime.now(UTC).isoformat()
        )
        doc = {
            "tenant_id": tenant_id,
            "provider": provider,
            "model": model,
            "input": _text(input),
            "output": _text(output),
            "cached_input": _text(cached_input),
            "cache_write": _text(cache_write),
            "updated_at": override.updated_at,
        }
        self._table.upsert(doc, self._match(tenant_id, provider, model))
        self._book.set_override(tenant_id, provider, model, override.table())
        return override

    def remove(self, tenant_id: str, provider: str, model: str) -> bool:
        removed = self._table.remove(self._match(tenant_id, provider, model))
        self._book.remove_override(tenant_id, provider, model)
        return bool(removed)

    @staticmethod
    def _match(tenant_id: str, provider: str, model: str) -> Any:
        q = Query()
        return (q.tenant_id == tenant_id) & (q.provider == provider) & (q.model == model)
