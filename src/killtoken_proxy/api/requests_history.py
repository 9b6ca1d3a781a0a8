"""Request history for the calling tenant: `GET /v1/requests` (filters, cursor pages) and `GET /v1/requests/{id}`."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from killtoken_proxy.api.dependencies import calling_tenant, runtime_of
from killtoken_proxy.api.record_query import record_filter
from killtoken_proxy.errors import NotFound
from killtoken_proxy.store.ledger import RecordFilter
from killtoken_proxy.store.tenants import Tenant

router = APIRouter()

_HIDDEN = ("tenant_id",)
_DETAIL_ONLY = ("content",)  # stored messages/answers (opt-in) are shown by id, not in every page


def public_record(record: dict[str, Any], *, detail: bool = True) -> dict[str, Any]:
    hidden = _HIDDEN if detail else _HIDDEN + _DETAIL_ONLY
    return {k: v for k, v in record.items() if k not in hidden}


@router.get("/v1/requests")
async def list_requests(
    request: Request,
    wanted: Annotated[RecordFilter, Depends(record_filter)],
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> dict[str, Any]:
    """Newest first. Pass `nextCursor` back as `before` for the next page."""
    ledger = runtime_of(request).ledger
    await ledger.flush()
    rows = await asyncio.to_thread(ledger.page, wanted, limit + 1)
    has_more = len(rows) > limit
    rows = rows[:limit]
    return {
        "data": [public_record(r, detail=False) for r in rows],
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
    return public_record(record)
