"""Command-line options commands share: `--json`, `--tenant`, and the history/report filters and time range."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

Start = Annotated[
    str | None,
    typer.Option(
        "--from", metavar="DATE", help="Start, inclusive: 2026-06-01 or an ISO date-time (UTC unless stated)."
    ),
]
End = Annotated[str | None, typer.Option("--to", metavar="DATE", help="End, exclusive: a date or an ISO date-time.")]


def parse_period(value: str) -> str:
    """`--period`: checked here, so `--period 2` is a usage error (exit 2) naming the forms, not a gateway error."""
    from killtoken_proxy.errors import InvalidRequest
    from killtoken_proxy.reports.timerange import period_start

    text = value.strip().lower()
    if text == "all":
        return text
    if text.isdigit():
        raise typer.BadParameter(f"{value!r} has no unit: {text}h, {text}d or {text}w (or all).")
    try:
        period_start(text, datetime.now(UTC))  # the gateway's own rules: units h, d, w; at most ten years
    except InvalidRequest as exc:
        raise typer.BadParameter(exc.message) from None
    return text


Period = Annotated[
    str | None, typer.Option(parser=parse_period, metavar="PERIOD", help="30d, 24h, 4w or all, instead of --from/--to.")
]
Feature = Annotated[str | None, typer.Option(help="Only this feature tag ((untagged) for untagged traffic).")]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON.")]
ProviderFilter = Annotated[str | None, typer.Option("--provider", help="Only this provider.")]
ModelFilter = Annotated[str | None, typer.Option("--model", help="Only this model.")]
StatusFilter = Annotated[str | None, typer.Option("--status", help="ok, error or an HTTP status such as 429.")]
CacheStatusFilter = Annotated[str | None, typer.Option("--cache-status", help="bypass, miss, hit or write.")]
TemplateFilter = Annotated[
    str | None, typer.Option("--template", help="Only requests built from this template (name or id; name@N).")
]
Tenant = Annotated[
    str | None,
    typer.Option(
        "--tenant", "-t", help="Act for this tenant (name or tn_ id) with the local admin token, not kt's own key."
    ),
]
