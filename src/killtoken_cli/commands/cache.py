"""`kt cache`: the exact cache of the tenant whose key `kt` uses: statistics, and clearing entries."""

from __future__ import annotations

import re
from typing import Annotated, Any

import typer

from killtoken_cli.help_format import Typer
from killtoken_cli.shared_options import AsJson, Tenant

app = Typer(help="Exact cache of your tenant: statistics and clearing.", no_args_is_help=True)

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(value: str) -> float:
    """`90s`, `30m`, `12h`, `7d` -> seconds. A bare number is refused: `2` meant 2 hours as often as 2 seconds."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*", value.lower())
    if match is None:
        raise typer.BadParameter(f"{value!r} is not a duration such as 90s, 30m, 12h or 7d.")
    number, unit = match.groups()
    if not unit:
        raise typer.BadParameter(f"{value!r} has no unit: {number}s, {number}m, {number}h or {number}d.")
    return float(number) * _UNITS[unit]


def _size(count: int) -> str:
    if count < 1024:
        return f"{count} B"
    return f"{count / 1024:.1f} KiB" if count < 1024 * 1024 else f"{count / 1024 / 1024:.1f} MiB"


def _rows(stats: dict[str, Any]) -> list[list[str]]:
    rate = stats["hitRate"]
    return [
        ["entries", str(stats["entries"])],
        ["size", f"{_size(stats['sizeBytes'])} (cache bound {_size(stats['maxSizeBytes'])})"],
        ["lookups", str(stats["lookups"])],
        ["hits / misses", f"{stats['hits']} / {stats['misses']}"],
        ["hit rate", "-" if rate is None else f"{rate:.1%}"],
        ["writes", str(stats["writes"])],
        ["verified savings", f"${stats['verifiedSavingsUsd']}"],
        ["hits of unpriced models", str(stats["unpricedHits"])],
        ["counted since", str(stats["since"])[:19].replace("T", " ") + " UTC"],
    ]


@app.command("stats")
def stats(as_json: AsJson = False, tenant: Tenant = None) -> None:
    """Your tenant's cache: entries, size, hit rate, verified savings."""
    from killtoken_cli.connection import connect
    from killtoken_cli.errors import reported
    from killtoken_cli.output import print_json, print_table

    with reported(), connect(tenant=tenant) as client:
        data = client.cache_stats()
    if as_json:
        print_json(data)
        return
    print_table(f"Exact cache of tenant `{data['tenant']}`", ["", "value"], _rows(data))


@app.command("clear")
def clear(
    tenant: Tenant = None,
    older_than: Annotated[
        float | None,
        typer.Option(
            "--older-than",
            parser=parse_duration,
            metavar="DURATION",
            help="Only entries written longer ago than this: 90s, 30m, 12h, 7d.",
        ),
    ] = None,
    as_json: AsJson = False,
) -> None:
    """Remove your tenant's cached answers. All of them, or those older than --older-than."""
    from killtoken_cli.connection import connect
    from killtoken_cli.errors import reported
    from killtoken_cli.output import info, print_json

    with reported(), connect(tenant=tenant) as client:
        owner = client.cache_stats()["tenant"]
        result = client.clear_cache(older_than_seconds=older_than)
    if as_json:
        print_json(result)
        return
    info(f"Removed {result['removed']} cached answer(s), {_size(result['freedBytes'])}, from tenant `{owner}`.")
