"""What a ledger record means for the money: which records were billed, what they cost, when they happened.

Other stages write the fields (`cost_usd`, `cache_status`, `replay`, `verified_savings_usd`, ...); these
helpers are the one place that reads them, so history, rollups, exports and reports agree to the cent.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from killtoken_proxy.money import to_decimal

Record = dict[str, Any]

UNTAGGED = "(untagged)"
ZERO = Decimal(0)
NO_CACHE_READ_MODES = frozenset({"bypass", "write_only"})


def int_field(record: Record, name: str) -> int:
    value = record.get(name)
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def succeeded(record: Record) -> bool:
    status = record.get("status")
    return isinstance(status, int) and 200 <= status < 300


def is_billed(record: Record) -> bool:
    """A successful call the provider charged for: not an idempotent replay, not a cache hit."""
    return succeeded(record) and not record.get("replay") and record.get("cache_status") != "hit"


def spend_of(record: Record) -> Decimal | None:
    """Money this record cost at the provider; None when it was billed but has no known price."""
    if not is_billed(record):
        return ZERO
    return to_decimal(record.get("cost_usd"))


def had_no_cache_read(record: Record) -> bool:
    mode = record.get("cache_mode")
    if isinstance(mode, str):
        return mode in NO_CACHE_READ_MODES
    return record.get("cache_status") in (None, "bypass")


def feature_label(record: Record) -> str:
    feature = record.get("feature")
    return feature if isinstance(feature, str) and feature else UNTAGGED


def template_label(record: Record) -> str:
    """`name@version` of the template a request was built from ("" when none); older records name it by id."""
    name = record.get("template_name") or record.get("template_id")
    if not isinstance(name, str) or not name:
        return ""
    version = record.get("template_version")
    return f"{name}@{version}" if isinstance(version, int) else name


def created(record: Record) -> datetime:
    """The record's time in UTC (records carry ISO-8601 `created_at`)."""
    value = record.get("created_at")
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        return datetime.fromtimestamp(0, UTC)
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def hour_of(record: Record) -> str:
    """`YYYY-MM-DDTHH` in UTC, the rollup bucket."""
    value = record.get("created_at")
    if isinstance(value, str) and value.endswith("+00:00") and len(value) >= 13:
        return value[:13]
    return created(record).strftime("%Y-%m-%dT%H")


def day_of(record: Record) -> str:
    return hour_of(record)[:10]
