"""`GET /v1/analytics/summary`: totals, spend, savings, per feature and model, errors, cache opportunity."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from killtoken_proxy.api.dependencies import calling_tenant, runtime_of
from killtoken_proxy.api.report_params import report_range, tenant_breakdown
from killtoken_proxy.reports.summary import summary_json
from killtoken_proxy.reports.timerange import TimeRange
from killtoken_proxy.store.tenants import Tenant

router = APIRouter()


@router.get("/v1/analytics/summary")
async def analytics_summary(
    request: Request,
    tenant: Annotated[Tenant, Depends(calling_tenant)],
    when: Annotated[TimeRange, Depends(report_range)],
    feature: str | None = None,
) -> dict[str, Any]:
    parts = await tenant_breakdown(request, tenant, when, feature)
    return summary_json(parts, when, runtime_of(request).settings.cache_opportunity_ttl)
