"""Terminal views of the reports (rich): money for humans, key/value tables, the spend-per-feature bar chart.

The API's numbers are exact decimal strings; these views only round for display.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from killtoken_cli.output import usd
from killtoken_proxy.reports.row_labels import (
    UNKNOWN,
    UNPRICED,
    model_label,
    period_label,
    savings_rate,
    unknown_money,
    unpriced_only,
)

__all__ = [
    "UNKNOWN",
    "model_label",
    "money",
    "period_label",
    "print_pairs",
    "print_rows",
    "print_spend_chart",
    "savings_rate",
    "unpriced_only",
    "usd",
]

BAR_WIDTH = 32


def money(amount: str | None, row: Mapping[str, Any], *, spend: bool = False) -> str:
    """A money figure of a report row: "unpriced"/"n/a" where no priced request stands behind a $0."""
    if unknown_money(amount, row):
        return UNPRICED if spend else UNKNOWN
    return usd(amount)


def console() -> Any:
    from rich.console import Console

    return Console(width=None if sys.stdout.isatty() else 160)


def print_pairs(title: str, pairs: list[tuple[str, str]]) -> None:
    from rich.table import Table

    table = Table(title=title, title_justify="left", show_header=False)
    table.add_column("measure", style="bold")
    table.add_column("value", justify="right")
    for name, value in pairs:
        table.add_row(name, value)
    console().print(table)


def print_rows(title: str, columns: list[str], rows: list[list[str]]) -> None:
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    for index, column in enumerate(columns):
        table.add_column(column, justify="left" if index == 0 else "right", overflow="fold")
    for row in rows:
        table.add_row(*row)
    console().print(table)


def print_spend_chart(features: list[dict[str, Any]]) -> None:
    """A horizontal bar per feature, scaled to the largest spend."""
    from rich.bar import Bar
    from rich.table import Table

    top = max((Decimal(f["spendUsd"]) for f in features), default=Decimal(0))
    table = Table(title="Spend per feature", title_justify="left", show_header=False, box=None, padding=(0, 1))
    table.add_column("feature", style="bold", overflow="fold")
    table.add_column("bar", width=BAR_WIDTH)
    table.add_column("spend", justify="right")
    table.add_column("share", justify="right")
    total = sum((Decimal(f["spendUsd"]) for f in features), Decimal(0))
    for feature in features:
        spend = Decimal(feature["spendUsd"])
        bar = Bar(size=float(top) or 1.0, begin=0, end=float(spend), width=BAR_WIDTH, color="cyan")
        share = f"{spend / total:.0%}" if total else "-"
        table.add_row(feature["feature"], bar, money(feature["spendUsd"], feature, spend=True), share)
    console().print(table)
