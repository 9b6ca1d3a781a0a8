"""What the report endpoints share: the time-range parameters and the tenant's breakdown for them."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import Query, Request

from killtoken_proxy.api.dependencies import runtime_of
from killtoken_proxy.reports.summary import Breakdown, breakdown
from killtoken_proxy.reports.timerange import TimeRange, resolve
from killtoken_proxy.store.tenants import Tenant

DEFAULT_PERIOD = "30d"


def report_range(
    start: Annotated[str | None, Query(alias="from", description="Inclusive, ISO-8601 date or date-time")] = None,
    end: Annotated[str | None, Query(alias="to", description="Exclusive, ISO-8601 date or date-time")] = None,
    period: Annotated[str | None, Query(description="30d (default), 24h, 4w or all; instead of from/to")] = None,
) -> TimeRange:
    return resolve(start, end, period, default_period=DEFAULT_PERIOD)


async def tenant_breakdown(request: Request, tenant: Tenant, when: TimeRange, feature: str | None) -> Breakdown:
    """The tenant's numbers for the range, including calls answered a moment ago (flushed first)."""
    ledger = runtime_of(request).ledger
    await ledger.flush()
    return await asyncio.to_thread(breakdown, ledger, tenant.id, when, feature)
