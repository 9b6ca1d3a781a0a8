"""The `kt` Typer app: wires the command groups; imports nothing heavy so `kt --help` stays fast."""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from killtoken_cli.commands import (
    analytics,
    cache,
    chat,
    credentials,
    daemon,
    export,
    keys,
    optimize,
    prices,
    report,
    requests,
    templates,
    tenants,
)
from killtoken_cli.help_format import Typer
from killtoken_cli.output import EXIT_ERROR

app = Typer(
    name="kt",
    help="KillToken: a local LLM cost gateway. Start with `kt serve`.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    # Plain click help: typer's rich panels cost ~70 ms of imports on every `kt --help` (target: < 150 ms).
    rich_markup_mode=None,
)


def _print_version(wanted: bool) -> None:
    if wanted:
        from killtoken_proxy import __version__

        typer.echo(f"kt {__version__}")
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_print_version, is_eager=True, help="Print kt's version and exit."),
    ] = False,
) -> None:
    pass  # only `--version`, handled eagerly by its callback before any command runs


app.command("serve")(daemon.serve)
app.command("init")(daemon.init)
app.command("chat")(chat.chat)
app.add_typer(credentials.app, name="credentials")
app.add_typer(requests.app, name="requests")
app.add_typer(cache.app, name="cache")
app.add_typer(tenants.app, name="tenants")
app.add_typer(keys.app, name="keys")
app.add_typer(templates.app, name="templates")
app.add_typer(optimize.app, name="optimize")
app.command("analytics")(analytics.summary)
app.add_typer(export.app, name="export")
app.add_typer(report.app, name="report")
app.add_typer(prices.app, name="prices")


def run() -> None:
    """The `kt` program: the app, stopping quietly when its reader goes away (`kt ... | head`), as Unix tools do."""
    try:
        try:
            app()
        finally:
            sys.stdout.flush()  # a closed pipe surfaces here, not as a traceback when the interpreter exits
    except BrokenPipeError:
        # Python's advice (signal module, "Note on SIGPIPE"): point stdout at devnull so the flush at exit is silent.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(EXIT_ERROR)


if __name__ == "__main__":
    run()
