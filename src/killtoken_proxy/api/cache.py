"""The calling tenant's exact cache: `GET /v1/cache/stats` and `DELETE /v1/cache/entries`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from killtoken_proxy.api.dependencies import calling_tenant, runtime_of
from killtoken_proxy.money import money_text
from killtoken_proxy.store.tenants import Tenant

router = APIRouter()


@router.get("/v1/cache/stats")
async def cache_stats(request: Request, tenant: Annotated[Tenant, Depends(calling_tenant)]) -> dict[str, Any]:
    store = runtime_of(request).cache
    await store.ready()
    entries, size = store.usage(tenant.id)
    counters = store.counters.of(tenant.id)
    return {
        "tenant": tenant.name,
        "entries": entries,
        "sizeBytes": size,
        "maxSizeBytes": store.max_bytes,
        "lookups": counters.lookups,
        "hits": counters.hits,
        "misses": counters.lookups - counters.hits,
        "hitRate": round(counters.hits / counters.lookups, 4) if counters.lookups else None,
        "writes": counters.writes,
        "verifiedSavingsUsd": money_text(counters.saved_usd),
        "unpricedHits": counters.unpriced_hits,
        "since": store.counters.since,
    }


@router.delete("/v1/cache/entries")
async def clear_cache(
    request: Request,
    tenant: Annotated[Tenant, Depends(calling_tenant)],
    older_than_seconds: Annotated[float | None, Query(alias="olderThanSeconds", ge=0)] = None,
) -> dict[str, Any]:
    """Remove the tenant's entries (only those older than `olderThanSeconds`, when given)."""
    store = runtime_of(request).cache
    await store.ready()
    removed, freed = store.remove(tenant.id, older_than=older_than_seconds)
    return {"removed": removed, "freedBytes": freed}
