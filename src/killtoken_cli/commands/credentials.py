"""`kt credentials`: store provider keys (secret to the OS keyring / vault), list and remove them."""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from killtoken_cli.output import fail

app = typer.Typer(help="Provider credentials (BYOK): add, list, remove.", no_args_is_help=True)


def _parse_config(pairs: list[str]) -> dict[str, str]:
    config = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            fail(f"--config expects key=value, got {pair!r}.", 2)
        config[key.strip()] = value.strip()
    return config


def _read_secret(provider: str, from_env: str | None) -> str:
    if from_env:
        value = os.environ.get(from_env, "")
        if not value.strip():
            fail(f"Environment variable {from_env} is empty or not set.", 2)
        return value.strip()
    if not sys.stdin.isatty():
        value = sys.stdin.readline().strip()
        if not value:
            fail("No secret on standard input.", 2)
        return value
    value = str(typer.prompt(f"{provider} API key", hide_input=True)).strip()
    if not value:
        fail("The API key is empty.", 2)
    return value


@app.command("add")
def add(
    provider: Annotated[str, typer.Argument(help="openai, openai_compatible, ...")],
    label: Annotated[str | None, typer.Option(help="A name to tell credentials apart.")] = None,
    from_env: Annotated[str | None, typer.Option("--from-env", help="Read the secret from this env var.")] = None,
    base_url: Annotated[str | None, typer.Option("--base-url", help="Base URL, e.g. http://localhost:8000/v1.")] = None,
    config: Annotated[
        list[str] | None, typer.Option("--config", help="Extra config as key=value (repeatable).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the stored metadata as JSON.")] = False,
) -> None:
    """Store a provider credential. The secret is read hidden (or from --from-env / stdin), never echoed."""
    from killtoken_cli.connection import connect
    from killtoken_cli.errors import reported
    from killtoken_cli.output import info, print_json

    settings_config = _parse_config(config or [])
    if base_url:
        settings_config["baseUrl"] = base_url
    with reported():
        secret = _read_secret(provider, from_env)
        with connect() as client:
            meta = client.add_credential(provider, api_key=secret, config=settings_config, label=label)
    if as_json:
        print_json(meta)
    else:
        ending = f" ending …{meta['last4']}" if meta.get("last4") else ""
        info(f"Stored {meta['provider']} credential [bold]{meta['id']}[/] ({meta['label']}){ending}.")


@app.command("list")
def list_(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """Show stored credentials (metadata only; secrets are never shown)."""
    from killtoken_cli.connection import connect
    from killtoken_cli.errors import reported
    from killtoken_cli.output import info, print_json, print_table

    with reported(), connect() as client:
        rows = client.list_credentials()
    if as_json:
        print_json(rows)
        return
    if not rows:
        info("No provider credentials yet. Add one with `kt credentials add openai`.")
        return
    print_table(
        "Provider credentials",
        ["id", "provider", "label", "key", "base URL", "created"],
        [
            [
                r["id"],
                r["provider"],
                r["label"],
                f"…{r['last4']}" if r["last4"] else "",
                str(r["config"].get("baseUrl", "")),
                r["createdAt"][:19],
            ]
            for r in rows
        ],
    )


@app.command("remove")
def remove(credential_id: Annotated[str, typer.Argument(help="The cred_ id from `kt credentials list`.")]) -> None:
    """Delete a credential and its secret."""
    from killtoken_cli.connection import connect
    from killtoken_cli.errors import reported
    from killtoken_cli.output import info

    with reported(), connect() as client:
        client.remove_credential(credential_id)
    info(f"Removed {credential_id}.")
