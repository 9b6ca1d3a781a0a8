"""What the human-readable reports (`kt` tables, the ROI Markdown) show alike: labels, the period, the rate.

A call that never reached a provider has no provider/model; a row whose billed calls all lack a price has
unknown money figures, which are never shown as $0 (README: unpriced calls). Imported by `kt`: keep it light.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, time
from decimal import Decimal
from typing import Any

NO_PROVIDER = "(no provider)"
UNPRICED = "unpriced"  # in place of spend no price stands behind
UNKNOWN = "n/a"  # in place of other money figures no price stands behind


def model_label(provider: str | None, model: str | None, sep: str = " ") -> str:
    """`openai gpt-4.1-mini`; `(no provider)` for calls rejected before a provider was chosen."""
    name = provider or NO_PROVIDER
    return f"{name}{sep}{model}" if model else name


def unpriced_only(row: Mapping[str, Any]) -> bool:
    """Every billed request of this report row (summary, ROI, feature or model row) had no known price."""
    billed = row.get("billedRequests") or 0
    return bool(billed) and row.get("unpricedRequests") == billed


def unknown_money(amount: str | None, row: Mapping[str, Any]) -> bool:
    """A $0 (or missing) figure that no priced request stands behind: show UNPRICED/UNKNOWN, not $0."""
    return unpriced_only(row) and not Decimal(amount or "0")


def period_label(report: Mapping[str, Any]) -> str:
    """A report's [from, to) as people write it: `2026-11-05 to now, UTC`."""
    since = _moment(report.get("from")) or "the first record"
    until = _moment(report.get("to")) or "now"
    return f"{since} to {until}, UTC"


def _moment(text: str | None) -> str | None:
    """`2026-11-05` for midnight (every day-based period starts there), else `2026-11-05 14:00[:30]`."""
    if not text:
        return None
    moment = datetime.fromisoformat(text).astimezone(UTC)
    if moment.time() == time(0):
        return moment.strftime("%Y-%m-%d")
    return moment.strftime("%Y-%m-%d %H:%M" + (":%S" if moment.second or moment.microsecond else ""))


def savings_rate(report: Mapping[str, Any]) -> str:
    """The ROI report's `savingsRate` (a fraction, "0.9569") as a percent, `95.7%`; n/a when spend is unknown."""
    rate = report.get("savingsRate")
    return UNKNOWN if rate is None or unpriced_only(report) else f"{Decimal(rate):.1%}"
