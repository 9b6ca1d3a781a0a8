"""`kt credentials`: store provider keys (secret to the OS keyring / vault), list and remove them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from killtoken_cli.output import fail

app = typer.Typer(help="Provider credentials (BYOK): add, list, remove.", no_args_is_help=True)


PROVIDERS_HELP = (
    "openai, anthropic, gemini, mistral, deepseek, openrouter, together, perplexity, xai, azure_openai, "
    "openai_compatible, aws_bedrock or google_vertex."
)


@app.command("add")
def add(
    provider: Annotated[str, typer.Argument(help=PROVIDERS_HELP)],
    label: Annotated[str | None, typer.Option(help="A name to tell credentials apart.")] = None,
    from_env: Annotated[
        list[str] | None,
        typer.Option("--from-env", help="Read a secret from an env var: VAR, or field=VAR (repeatable)."),
    ] = None,
    from_file: Annotated[
        Path | None, typer.Option("--from-file", help="google_vertex: the service-account key JSON file.")
    ] = None,
    base_url: Annotated[str | None, typer.Option("--base-url", help="Base URL, e.g. http://localhost:8000/v1.")] = None,
    region: Annotated[
        str | None, typer.Option("--region", help="aws_bedrock region, or google_vertex location.")
    ] = None,
    config: Annotated[
        list[str] | None, typer.Option("--config", help="Config as key=value (repeatable), e.g. endpoint=https://...")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the stored metadata as JSON.")] = False,
) -> None:
    """Store a provider credential, asking for exactly the fields it needs. Secrets are read hidden, never echoed."""
    from killtoken_cli.connection import connect
    from killtoken_cli.credential_input import Flags, collect
    from killtoken_cli.errors import reported
    from killtoken_cli.output import info, print_json

    flags = Flags(from_env or [], from_file, base_url, region, config or [])
    with reported(), connect() as client:
        shapes = {p["name"]: p for p in client.providers()}
        if provider not in shapes:
            fail(f"Unknown provider {provider!r}; one of {', '.join(shapes)}.", 2)
        secrets, settings_config = collect(provider, shapes[provider], flags)
        meta = client.add_credential(provider, secrets=secrets, config=settings_config, label=label)
    if as_json:
        print_json(meta)
    else:
        ending = f" ending …{meta['last4']}" if meta.get("last4") else ""
        info(f"Stored {meta['provider']} credential [bold]{meta['id']}[/] ({meta['label']}){ending}.")


def _where(config: dict[str, object]) -> str:
    """The one config value that tells credentials of a provider apart at a glance."""
    for name in ("baseUrl", "endpoint", "region", "location"):
        if config.get(name):
            return str(config[name])
    return ""


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
        ["id", "provider", "label", "key", "endpoint / region", "created"],
        [
            [
                r["id"],
                r["provider"],
                r["label"],
                f"…{r['last4']}" if r["last4"] else "",
                _where(r["config"]),
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
