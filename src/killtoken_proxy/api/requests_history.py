"""Request history for the calling tenant: `GET /v1/requests` and `GET /v1/requests/{id}`."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from killtoken_proxy.api.dependencies import calling_tenant, runtime_of
from killtoken_proxy.errors import NotFound
from killtoken_proxy.store.tenants import Tenant

router = APIRouter()

_HIDDEN = ("tenant_id",)


def _public(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k not in _HIDDEN}


@router.get("/v1/requests")
async def list_requests(
    request: Request,
    tenant: Annotated[Tenant, Depends(calling_tenant)],
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    before: str | None = None,
    feature: str | None = None,
    provider: str | None = None,
) -> dict[str, Any]:
    ledger = runtime_of(request).ledger
    await ledger.flush()

    rows = await asyncio.to_thread(
        ledger.query, tenant.id, limit=limit + 1, before=before, feature=feature, provider=provider
    )
    has_more = len(rows) > limit
    rows = rows[:limit]
    return {
        "data": [_public(r) for r in rows],
        "hasMore": has_more,
        "nextCursor": rows[-1]["id"] if has_more and rows else None,
    }


@router.get("/v1/requests/{request_id}")
async def get_request(
    request: Request, request_id: str, tenant: Annotated[Tenant, Depends(calling_tenant)]
) -> dict[str, Any]:
    ledger = runtime_of(request).ledger
    await ledger.flush()

    record = await asyncio.to_thread(ledger.get, tenant.id, request_id)
    if record is None:
        raise NotFound(f"No request {request_id!r} in this tenant.", code="request_not_found")
    return _public(record)
