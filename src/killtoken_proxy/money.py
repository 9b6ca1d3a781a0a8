"""Money is `Decimal` end to end and leaves the gateway as one canonical decimal string."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any

MAX_DECIMALS = 12  # a trillionth of a dollar: every per-token price times a token count fits exactly
_QUANTUM = Decimal(1).scaleb(-MAX_DECIMALS)


def money_text(value: Decimal | None) -> str | None:
    """Every USD amount the API emits: no exponent, no trailing zeros, at most 12 decimals (half-even beyond):
    "0.0005", "12", "0"; None stays None (unknown)."""
    if value is None:
        return None
    if not value:
        return "0"
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -MAX_DECIMALS:
        value = value.quantize(_QUANTUM, rounding=ROUND_HALF_EVEN)
        if not value:
            return "0"
    return format(value.normalize(), "f")


def to_decimal(value: Any) -> Decimal | None:
    """Money fields are decimal strings; tolerate numbers, treat garbage as unknown (None)."""
    if value is None or isinstance(value, bool):
        return None
    try:
        result = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return result if result.is_finite() else None
