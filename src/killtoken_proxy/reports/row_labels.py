"""What the human-readable reports (`kt` tables, the ROI Markdown) show for rows a number cannot describe.

A call that never reached a provider has no provider/model; a row whose billed calls all lack a price has
unknown money figures, which are never shown as $0 (README: unpriced calls). Imported by `kt`: keep it light.
"""

from __future__ import annotations

from collections.abc import Mapping
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
