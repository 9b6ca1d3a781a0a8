"""Console output: data to stdout (tables or JSON), messages and errors to stderr; exit codes."""

from __future__ import annotations

import json
import sys
from typing import Any, NoReturn

import typer

# Exit codes (documented in the README).
EXIT_ERROR = 1  # the gateway answered with an error
EXIT_USAGE = 2  # bad command-line usage or environment (click uses 2 for usage errors too)
EXIT_UNAVAILABLE = 3  # store locked by another process, or the daemon cannot be reached
EXIT_SECRETS = 4  # no usable secret store


class CliError(Exception):
    def __init__(self, message: str, exit_code: int = EXIT_ERROR) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code


def stderr_console() -> Any:
    from rich.console import Console

    return Console(stderr=True, highlight=False)


def info(message: str) -> None:
    stderr_console().print(message, soft_wrap=True)  # whole lines: commands in messages stay copyable


def fail(message: str, exit_code: int = EXIT_ERROR) -> NoReturn:
    stderr_console().print(f"[bold red]Error:[/] {message}", soft_wrap=True)
    raise typer.Exit(exit_code)


def usd(text: str | None, *, exact: bool = False, missing: str = "n/a") -> str:
    """The one way `kt` shows money. Totals: $1,234.57 from a dollar up, 4 significant digits below
    ($0.00054), $0 for zero. `exact=True` (one call's cost, a price) shows the API's exact value ($0.000123456)."""
    from decimal import Decimal

    if text is None:
        return missing
    value = Decimal(text)
    if not value:
        return "$0"
    if exact:
        return "$" + format(value.normalize(), "f")
    if abs(value) >= 1:
        return f"${value:,.2f}"
    return "$" + format(Decimal(f"{value:.4g}").normalize(), "f")


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")


def print_table(title: str, columns: list[str], rows: list[list[str]], *, stderr: bool = False) -> None:
    """A rich table on stdout (data), or on stderr for notes that accompany the data."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table(title=title, title_justify="left")
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        # Cells are data, not markup: "[repeated passage omitted by KillToken]" must not vanish as a style tag.
        table.add_row(*(Text(cell) for cell in row))
    # Piped output is not wrapped at 80 columns: grep and less should see whole rows.
    stream = sys.stderr if stderr else sys.stdout
    Console(file=stream, width=None if stream.isatty() else 200).print(table)
