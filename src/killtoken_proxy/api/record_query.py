"""The record filters shared by history and exports, parsed from the query string with clear 400s."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import Depends, Query

from killtoken_proxy.api.dependencies import calling_tenant
from killtoken_proxy.errors import InvalidRequest
from killtoken_proxy.reports.timerange import resolve
from killtoken_proxy.store.ledger import RecordFilter
from killtoken_proxy.store.ledger.filters import CACHE_STATUSES
from killtoken_proxy.store.tenants import Tenant

_STATUS = re.compile(r"^[1-5]\d\d$")
_CURSOR = re.compile(r"^req_[0-9a-z]{1,64}$")


def record_filter(
    tenant: Annotated[Tenant, Depends(calling_tenant)],
    feature: str | None = None,
    provider: str | None = None,
    model: str | None = None,
    status: Annotated[str | None, Query(description="ok, error, or an HTTP status such as 429")] = None,
    cache_status: Annotated[str | None, Query(description="bypass, miss, hit or write")] = None,
    template: Annotated[str | None, Query(description="A template's name or id; name@N for version N")] = None,
    start: Annotated[str | None, Query(alias="from", description="Inclusive, ISO-8601 date or date-time")] = None,
    end: Annotated[str | None, Query(alias="to", description="Exclusive, ISO-8601 date or date-time")] = None,
    period: Annotated[str | None, Query(description="30d, 24h, 4w: instead of from/to")] = None,
    before: Annotated[str | None, Query(description="Cursor: the nextCursor of the previous page")] = None,
) -> RecordFilter:
    if status is not None and status not in ("ok", "error") and not _STATUS.match(status):
        raise InvalidRequest(
            f"`status` must be ok, error or an HTTP status code (e.g. 429), got {status!r}.",
            code="invalid_filter",
            param="status",
        )
    if cache_status is not None and cache_status not in CACHE_STATUSES:
        raise InvalidRequest(
            f"`cache_status` must be one of {', '.join(CACHE_STATUSES)}, got {cache_status!r}.",
            code="invalid_filter",
            param="cache_status",
        )
    if before is not None and not _CURSOR.match(before):
        raise InvalidRequest(
            "`before` must be a request id (the `nextCursor` of a previous page).",
            code="invalid_cursor",
            param="before",
        )
    when = resolve(start, end, period)
    return RecordFilter(
        tenant.id,
        feature=feature.strip() if feature else None,
        provider=provider,
        model=model,
        status=status,
        cache_status=cache_status,
        template=template.strip() if template else None,
        start=when.start,
        end=when.end,
        before=before,
    )
