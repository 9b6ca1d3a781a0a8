"""Money is `Decimal` end to end and leaves the gateway as one canonical decimal string."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any


def money_text(value: Decimal | None) -> str | None:
    """Exact, no exponent, no trailing zeros: "0.0005", "12", "0"; None stays None (unknown)."""
    if value is None:
        return None
    return format(value.normalize(), "f") if value else "0"


def to_decimal(value: Any) -> Decimal | None:
    """Money fields are decimal strings; tolerate numbers, treat garbage as unknown (None)."""
    if value is None or isinstance(value, bool):
        return None
    try:
        result = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return result if result.is_finite() else None
