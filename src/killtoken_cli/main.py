"""The `kt` Typer app: wires the command groups; imports nothing heavy so `kt --help` stays fast."""

from __future__ import annotations

import typer

from killtoken_cli.commands import analytics, credentials, daemon, export, prices, report, requests

app = typer.Typer(
    name="kt",
    help="KillToken: a local LLM cost gateway. Start with `kt serve`.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.command("serve")(daemon.serve)
app.command("init")(daemon.init)
app.add_typer(credentials.app, name="credentials")
app.add_typer(requests.app, name="requests")
app.command("analytics")(analytics.summary)
app.add_typer(export.app, name="export")
app.add_typer(report.app, name="report")
app.add_typer(prices.app, name="prices")

if __name__ == "__main__":
    app()
