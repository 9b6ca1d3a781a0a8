"""Exports: the requests as streamed CSV (or NDJSON with every field), and the analytics as one JSON file."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, StreamingResponse

from killtoken_proxy.api.dependencies import calling_tenant, runtime_of
from killtoken_proxy.api.record_query import record_filter
from killtoken_proxy.api.report_params import report_range, tenant_breakdown
from killtoken_proxy.api.requests_history import public_record
from killtoken_proxy.reports.csv_export import csv_chunks
from killtoken_proxy.reports.summary import daily_json, summary_json
from killtoken_proxy.reports.timerange import TimeRange
from killtoken_proxy.store.ledger import RecordFilter
from killtoken_proxy.store.tenants import Tenant

router = APIRouter()

EXPECTED_ROWS = "x-killtoken-expected-rows"  # an upper bound, for progress bars


def _attachment(name: str) -> dict[str, str]:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return {"content-disposition": f'attachment; filename="killtoken-{name}-{stamp}"'}


async def _prepared(request: Request, wanted: RecordFilter) -> tuple[Iterator[dict[str, Any]], dict[str, str]]:
    ledger = runtime_of(request).ledger
    await ledger.flush()
    expected = await asyncio.to_thread(ledger.count_upper_bound, wanted)
    return ledger.iterate(wanted), {EXPECTED_ROWS: str(expected)}


@router.get("/v1/exports/requests.csv")
async def export_requests_csv(
    request: Request, wanted: Annotated[RecordFilter, Depends(record_filter)]
) -> StreamingResponse:
    """Oldest first; the columns are documented in the README and only ever appended to."""
    records, headers = await _prepared(request, wanted)
    return StreamingResponse(
        csv_chunks(records),
        media_type="text/csv; charset=utf-8",
        headers={**headers, **_attachment("requests.csv")},
    )


@router.get("/v1/exports/requests.ndjson")
async def export_requests_ndjson(
    request: Request, wanted: Annotated[RecordFilter, Depends(record_filter)]
) -> StreamingResponse:
    """Every field of every record, one JSON object per line, oldest first."""
    records, headers = await _prepared(request, wanted)
    lines = (json.dumps(public_record(r), default=str, separators=(",", ":")) + "\n" for r in records)
    return StreamingResponse(
        lines, media_type="application/x-ndjson", headers={**headers, **_attachment("requests.ndjson")}
    )


@router.get("/v1/exports/analytics.json")
async def export_analytics(
    request: Request,
    tenant: Annotated[Tenant, Depends(calling_tenant)],
    when: Annotated[TimeRange, Depends(report_range)],
    feature: str | None = None,
) -> JSONResponse:
    """The analytics summary plus a per-day series (each day's totals and per-feature numbers)."""
    parts = await tenant_breakdown(request, tenant, when, feature)
    ttl = runtime_of(request).settings.cache_opportunity_ttl
    body = {**summary_json(parts, when, ttl), "daily": daily_json(parts)}
    return JSONResponse(body, headers=_attachment("analytics.json"))
