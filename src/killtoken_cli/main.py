"""The `kt` Typer app: wires the command groups; imports nothing heavy so `kt --help` stays fast."""

from __future__ import annotations

import typer

from killtoken_cli.commands import credentials, daemon, requests

app = typer.Typer(
    name="kt",
    help="KillToken: a local LLM cost gateway. Start with `kt serve`.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    # Plain click help: typer's rich panels cost ~70 ms of imports on every `kt --help` (target: < 150 ms).
    rich_markup_mode=None,
)
app.command("serve")(daemon.serve)
app.command("init")(daemon.init)
app.add_typer(credentials.app, name="credentials")
app.add_typer(requests.app, name="requests")

if __name__ == "__main__":
    app()
