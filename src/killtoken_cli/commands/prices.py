"""`kt prices`: the tenant's price overrides (USD per 1M tokens) and the effective price of a model."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from killtoken_cli.help_format import Typer
from killtoken_cli.output import usd
from killtoken_cli.shared_options import AsJson, Tenant

app = Typer(help="Prices: list, show, set, remove (USD per 1M tokens).", no_args_is_help=True)

Provider = Annotated[str, typer.Argument(help="openai, anthropic, openai_compatible, ...")]
Model = Annotated[str, typer.Argument(help="The model name as your requests send it.")]
Rate = Annotated[str | None, typer.Option(metavar="USD", help="USD per 1M tokens.")]


def _row(price: dict[str, Any]) -> list[str]:
    def rate(name: str) -> str:
        value = price.get(name)
        return usd(value, exact=True, missing="= input")

    return [
        price["provider"],
        price["model"],
        usd(price["input"], exact=True),
        rate("cachedInput"),
        rate("cacheWrite"),
        usd(price["output"], exact=True),
        price.get("source", "override"),
    ]


_COLUMNS = ["provider", "model", "input", "cached input", "cache write", "output", "source"]


@app.command("list")
def list_(as_json: AsJson = False, tenant: Tenant = None) -> None:
    """List this tenant's price overrides."""
    from killtoken_cli.connection import connect
    from killtoken_cli.errors import reported
    from killtoken_cli.output import info, print_json, print_table

    with reported(), connect(tenant=tenant) as client:
        prices = client.list_prices()
    if as_json:
        print_json(prices)
    elif not prices:
        info("No price overrides; list prices from genai-prices apply. Add one with `kt prices set`.")
    else:
        print_table("Price overrides (USD per 1M tokens)", _COLUMNS, [_row(p) for p in prices])


@app.command("show")
def show(provider: Provider, model: Model, as_json: AsJson = False, tenant: Tenant = None) -> None:
    """Show the price that applies to a provider's model. An override, else genai-prices' list price."""
    from killtoken_cli.connection import connect
    from killtoken_cli.errors import reported
    from killtoken_cli.output import print_json, print_table

    with reported(), connect(tenant=tenant) as client:
        price = client.get_price(provider, model)
    if as_json:
        print_json(price)
        return
    print_table(f"{provider} {model} (USD per 1M tokens)", _COLUMNS, [_row(price)])
    for tier in price.get("tiers", []):
        print_table(
            f"Above {tier['aboveInputTokens']:,} prompt tokens",
            _COLUMNS,
            [_row({**tier, "provider": provider, "model": model, "source": price["source"]})],
        )


@app.command("set")
def set_(
    provider: Provider,
    model: Model,
    input: Annotated[str, typer.Option("--input", metavar="USD", help="USD per 1M input tokens.")],
    output: Annotated[
        str, typer.Option("--output", metavar="USD", help="USD per 1M output tokens (reasoning included).")
    ],
    cached_input: Annotated[
        str | None, typer.Option("--cached-input", metavar="USD", help="USD per 1M cached input tokens.")
    ] = None,
    cache_write: Annotated[
        str | None, typer.Option("--cache-write", metavar="USD", help="USD per 1M cache-write tokens.")
    ] = None,
    as_json: AsJson = False,
    tenant: Tenant = None,
) -> None:
    """Set a negotiated or custom price. Cached input and cache writes default to the input rate."""
    from killtoken_cli.connection import connect
    from killtoken_cli.errors import reported
    from killtoken_cli.output import info, print_json

    with reported(), connect(tenant=tenant) as client:
        price = client.set_price(
            provider, model, input=input, output=output, cached_input=cached_input, cache_write=cache_write
        )
    if as_json:
        print_json(price)
    else:
        info(f"Price set for {provider} {model}: new calls are priced with it.")


@app.command("remove")
def remove(provider: Provider, model: Model, tenant: Tenant = None) -> None:
    """Remove a price override. The list price from genai-prices applies again, if it has one."""
    from killtoken_cli.connection import connect
    from killtoken_cli.errors import reported
    from killtoken_cli.output import info

    with reported(), connect(tenant=tenant) as client:
        client.remove_price(provider, model)
    info(f"Price override for {provider} {model} removed.")
