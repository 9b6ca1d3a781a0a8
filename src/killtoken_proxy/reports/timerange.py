"""The `from` / `to` / `period` parameters every report takes, parsed once, always UTC, [from, to)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from killtoken_proxy.errors import InvalidRequest

_PERIOD = re.compile(r"^\s*(\d{1,4})\s*([hdw])\s*$")
MAX_PERIOD_DAYS = 3660


@dataclass(frozen=True)
class TimeRange:
    start: datetime | None  # inclusive; None: from the first record
    end: datetime | None  # exclusive; None: up to now and beyond
    period: str | None = None

    def public(self) -> dict[str, str | None]:
        return {
            "from": self.start.isoformat() if self.start else None,
            "to": self.end.isoformat() if self.end else None,
            "period": self.period,
        }


def parse_moment(value: str, param: str) -> datetime:
    """`2026-06-01` (midnight UTC) or an ISO-8601 date-time (`Z` or an offset; without one, UTC)."""
    text = value.strip()
    try:
        moment = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        raise InvalidRequest(
            f"`{param}` must be a date (2026-06-01) or an ISO-8601 date-time (2026-06-01T12:00:00Z), got {value!r}.",
            code="invalid_time_range",
            param=param,
        ) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def period_start(period: str, now: datetime) -> datetime:
    """`30d`: today and the 29 days before (UTC); `24h`: this hour and the 23 before; `4w` = `28d`.
    (`all`, handled by `resolve`, means no bounds.)"""
    match = _PERIOD.match(period)
    if match is None:
        raise InvalidRequest(
            f"`period` must look like 30d, 24h, 4w or all, got {period!r}.", code="invalid_time_range", param="period"
        )
    count, unit = int(match.group(1)), match.group(2)
    if count < 1 or (unit == "h" and count > MAX_PERIOD_DAYS * 24) or (unit != "h" and count > MAX_PERIOD_DAYS):
        raise InvalidRequest(f"`period` {period!r} is out of range.", code="invalid_time_range", param="period")
    if unit == "h":
        return now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=count - 1)
    days = count * 7 if unit == "w" else count
    return now.replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=days - 1)


def resolve(
    start: str | None,
    end: str | None,
    period: str | None = None,
    *,
    default_period: str | None = None,
    now: datetime | None = None,
) -> TimeRange:
    if period is not None and (start is not None or end is not None):
        raise InvalidRequest(
            "Give either `period` or `from`/`to`, not both.", code="invalid_time_range", param="period"
        )
    now = (now or datetime.now(UTC)).astimezone(UTC)
    if start is None and end is None:
        chosen = period or default_period
        if chosen is None or chosen.strip() == "all":
            return TimeRange(None, None, chosen)
        return TimeRange(period_start(chosen, now), None, chosen)
    first = parse_moment(start, "from") if start is not None else None
    last = parse_moment(end, "to") if end is not None else None
    if first is not None and last is not None and first >= last:
        raise InvalidRequest("`from` must be before `to`.", code="invalid_time_range", param="from")
    return TimeRange(first, last)
