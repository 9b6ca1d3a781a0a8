"""`kt requests`: the request history recorded by the gateway."""

from __future__ import annotations

from typing import Annotated, Any

import typer

app = typer.Typer(help="Request history: list and show recorded gateway calls.", no_args_is_help=True)


def _row(r: dict[str, Any]) -> list[str]:
    tokens = f"{r.get('prompt_tokens', 0)}/{r.get('completion_tokens', 0)}" if r.get("status") == 200 else ""
    cost = r.get("cost_usd")
    return [
        r["id"],
        str(r.get("created_at", ""))[:19].replace("T", " "),
        r.get("feature") or "(untagged)",
        f"{r.get('provider') or ''} {r.get('model') or ''}".strip(),
        str(r.get("status", "")) + (f" {r['error']}" if r.get("error") else ""),
        tokens,
        f"${cost}" if cost is not None else "",
        f"{r.get('latency_ms', '')}",
    ]


@app.command("list")
def list_(
    limit: Annotated[int, typer.Option(min=1, max=500, help="How many, newest first.")] = 20,
    feature: Annotated[str | None, typer.Option(help="Only this feature tag.")] = None,
    provider: Annotated[str | None, typer.Option(help="Only this provider.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List recent requests, newest first."""
    from killtoken_cli.connection import connect
    from killtoken_cli.errors import reported
    from killtoken_cli.output import info, print_json, print_table

    with reported(), connect() as client:
        page = client.list_requests(limit=limit, feature=feature, provider=provider)
    rows = page["data"]
    if as_json:
        print_json(rows)
        return
    if not rows:
        info("No requests recorded yet.")
        return
    print_table(
        "Requests",
        ["id", "time (UTC)", "feature", "provider / model", "status", "tokens in/out", "cost", "ms"],
        [_row(r) for r in rows],
    )


@app.command("show")
def show(
    request_id: Annotated[str, typer.Argument(help="A req_ id.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Show one recorded request."""
    from killtoken_cli.connection import connect
    from killtoken_cli.errors import reported
    from killtoken_cli.output import print_json, print_table

    with reported(), connect() as client:
        record = client.get_request(request_id)
    if as_json:
        print_json(record)
        return
    print_table(request_id, ["field", "value"], [[k, str(v)] for k, v in record.items()])
