"""`kt requests`: the request history recorded by the gateway."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from killtoken_cli.help_format import Typer
from killtoken_cli.output import usd
from killtoken_cli.shared_options import (
    AsJson,
    CacheStatusFilter,
    End,
    Feature,
    ModelFilter,
    Period,
    ProviderFilter,
    Start,
    StatusFilter,
    TemplateFilter,
    Tenant,
)

app = Typer(
    help="Request history: the calls the gateway recorded. Also what the ledger keeps (settings).", no_args_is_help=True
)


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
        usd(cost, exact=True, missing="unpriced" if r.get("status") == 200 else ""),
        _cache(r),
        f"{r.get('latency_ms', '')}",
    ]


def _cache(r: dict[str, Any]) -> str:
    """Why a call cost $0 without a provider: `hit` (exact cache) or `replay` (idempotency key); else miss/write/..."""
    return "replay" if r.get("replay") else str(r.get("cache_status") or "")


@app.command("list")
def list_(
    limit: Annotated[int, typer.Option(min=1, max=500, metavar="N", help="How many, newest first.")] = 20,
    feature: Feature = None,
    provider: ProviderFilter = None,
    model: ModelFilter = None,
    status: StatusFilter = None,
    cache_status: CacheStatusFilter = None,
    template: TemplateFilter = None,
    start: Start = None,
    end: End = None,
    period: Period = None,
    before: Annotated[str | None, typer.Option(metavar="ID", help="Cursor: show requests older than this id.")] = None,
    as_json: AsJson = False,
    tenant: Tenant = None,
) -> None:
    """List recorded requests, newest first."""
    from killtoken_cli.connection import connect
    from killtoken_cli.errors import reported
    from killtoken_cli.output import info, print_json, print_table

    with reported(), connect(tenant=tenant) as client:
        page = client.list_requests(
            limit=limit,
            before=before,
            feature=feature,
            provider=provider,
            model=model,
            status=status,
            cache_status=cache_status,
            template=template,
            start=start,
            end=end,
            period=period,
        )
    rows = page["data"]
    if as_json:
        print_json(rows)
    elif not rows:
        info("No matching requests recorded.")
    else:
        print_table(
            "Requests",
            ["id", "time (UTC)", "feature", "provider / model", "status", "tokens in/out", "cost", "cache", "ms"],
            [_row(r) for r in rows],
        )
    if page.get("nextCursor"):
        info(f"More: add --before {page['nextCursor']}")


@app.command("show")
def show(
    request_id: Annotated[str, typer.Argument(help="A req_ id.")],
    as_json: AsJson = False,
    tenant: Tenant = None,
) -> None:
    """Show one recorded request."""
    from killtoken_cli.connection import connect
    from killtoken_cli.errors import reported
    from killtoken_cli.output import print_json, print_table

    with reported(), connect(tenant=tenant) as client:
        record = client.get_request(request_id)
    if as_json:
        print_json(record)
        return
    print_table(request_id, ["field", "value"], [[k, _value_text(v)] for k, v in record.items()])


def _value_text(value: Any) -> str:
    """A field as JSON writes it (null, false, {"a": 1}); a plain string as it is, without quotes."""
    import json

    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)


@app.command("settings")
def settings(
    store_content: Annotated[
        bool | None,
        typer.Option(
            "--store-content/--no-store-content", help="Keep messages and answers in the ledger (off by default)."
        ),
    ] = None,
    as_json: AsJson = False,
    tenant: Tenant = None,
) -> None:
    """Show or change what the ledger keeps for this tenant."""
    from killtoken_cli.connection import connect
    from killtoken_cli.errors import reported
    from killtoken_cli.output import info, print_json

    with reported(), connect(tenant=tenant) as client:
        current = client.ledger_settings(store_content=store_content)
    if as_json:
        print_json(current)
    elif current["storeContent"]:
        info("Messages and answers ARE stored in the ledger (shown by `kt requests show`).")
    else:
        info("Messages and answers are NOT stored; the ledger keeps tokens, costs and timings only.")
