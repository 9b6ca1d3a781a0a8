"""`GET /v1/reports/roi`: spend, savings by source, net, per feature and model, as JSON, Markdown or CSV."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from killtoken_proxy.api.dependencies import calling_tenant, runtime_of
from killtoken_proxy.api.report_params import report_range, tenant_breakdown
from killtoken_proxy.errors import InvalidRequest
from killtoken_proxy.reports.roi import roi_csv, roi_json, roi_markdown
from killtoken_proxy.reports.timerange import TimeRange
from killtoken_proxy.store.tenants import Tenant

router = APIRouter()

FORMATS = ("json", "md", "csv")


@router.get("/v1/reports/roi")
async def roi_report(
    request: Request,
    tenant: Annotated[Tenant, Depends(calling_tenant)],
    when: Annotated[TimeRange, Depends(report_range)],
    feature: str | None = None,
    format: str = "json",
) -> Response:
    if format not in FORMATS:
        raise InvalidRequest(f"`format` must be one of {', '.join(FORMATS)}.", param="format")
    parts = await tenant_breakdown(request, tenant, when, feature)
    report: dict[str, Any] = roi_json(parts, when, feature, runtime_of(request).settings.cache_opportunity_ttl)
    if format == "md":
        return PlainTextResponse(roi_markdown(report), media_type="text/markdown; charset=utf-8")
    if format == "csv":
        return PlainTextResponse(roi_csv(report), media_type="text/csv; charset=utf-8")
    return JSONResponse(report)
