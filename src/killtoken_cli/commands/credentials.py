"""`kt credentials`: store provider keys (secret to the OS keyring / vault), list and remove them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from killtoken_cli.help_format import Typer
from killtoken_cli.output import fail
from killtoken_cli.shared_options import AsJson, Tenant

app = Typer(help="Provider credentials (BYOK): keys the gateway calls with.", no_args_is_help=True)

CredentialArg = Annotated[str, typer.Argument(help="The cred_ id from `kt credentials list`.")]
FromEnvOpt = Annotated[
    list[str] | None,
    typer.Option("--from-env", metavar="VAR", help="Read a secret from an env var: VAR, or field=VAR (repeatable)."),
]
ConfigOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--config", metavar="KEY=VALUE", help="Config as key=value (repeatable; `key=` removes it on update)."
    ),
]


PROVIDERS_HELP = (
    "openai, anthropic, gemini, mistral, deepseek, openrouter, together, perplexity, xai, azure_openai, "
    "openai_compatible, aws_bedrock or google_vertex."
)


@app.command("add")
def add(
    provider: Annotated[str, typer.Argument(help=PROVIDERS_HELP)],
    label: Annotated[str | None, typer.Option(help="A name to tell credentials apart.")] = None,
    from_env: FromEnvOpt = None,
    from_file: Annotated[
        Path | None,
        typer.Option("--from-file", metavar="FILE", help="google_vertex: the service-account key JSON file."),
    ] = None,
    base_url: Annotated[
        str | None, typer.Option("--base-url", metavar="URL", help="Base URL, e.g. http://localhost:8000/v1.")
    ] = None,
    region: Annotated[
        str | None, typer.Option("--region", help="aws_bedrock region, or google_vertex location.")
    ] = None,
    config: ConfigOpt = None,
    as_json: AsJson = False,
    tenant: Tenant = None,
) -> None:
    """Store a provider credential. Asks for exactly the fields it needs; secrets are read hidden, never echoed."""
    from killtoken_cli.connection import connect
    from killtoken_cli.credential_input import Flags, collect
    from killtoken_cli.errors import reported
    from killtoken_cli.output import info, print_json
    from killtoken_proxy.near_miss import did_you_mean

    flags = Flags(from_env or [], from_file, base_url, region, config or [])
    with reported(), connect(tenant=tenant) as client:
        shapes = {p["name"]: p for p in client.providers()}
        if provider not in shapes:
            fail(f"Unknown provider {provider!r}{did_you_mean(provider, shapes)}; one of {', '.join(shapes)}.", 2)
        _warn_if_one_is_active(provider, client.list_credentials())
        secrets, settings_config = collect(provider, shapes[provider], flags)
        meta = client.add_credential(provider, secrets=secrets, config=settings_config, label=label)
    if as_json:
        print_json(meta)
    else:
        ending = f" ending …{meta['last4']}" if meta.get("last4") else ""
        info(f"Stored {meta['provider']} credential [bold]{meta['id']}[/] ({meta['label']}){ending}.")


def _warn_if_one_is_active(provider: str, stored: list[dict[str, Any]]) -> None:
    """A second credential is rarely what someone replacing a key wants: say which is used, and how to rotate."""
    from killtoken_cli.output import info

    active = [c for c in stored if c.get("provider") == provider and c.get("status", "active") == "active"]
    if not active:
        return
    current = active[-1]  # newest last (ids sort by time); the gateway uses the newest active one
    ending = f" ending …{current['last4']}" if current.get("last4") else ""
    described = f"{current['id']} ({current.get('label')}){ending}"
    info(
        f"[yellow]Note:[/] {provider} already has an active credential {described}. "
        "The new one will be used from now on and the old one kept. To replace the key instead, run "
        f"`kt credentials update {current['id']} --rotate`."
    )


def _where(config: dict[str, object]) -> str:
    """The one config value that tells credentials of a provider apart at a glance."""
    for name in ("baseUrl", "endpoint", "region", "location"):
        if config.get(name):
            return str(config[name])
    return ""


@app.command("list")
def list_(as_json: AsJson = False, tenant: Tenant = None) -> None:
    """Show stored credentials (metadata only; secrets are never shown)."""
    from killtoken_cli.connection import connect
    from killtoken_cli.errors import reported
    from killtoken_cli.output import info, print_json, print_table

    with reported(), connect(tenant=tenant) as client:
        rows = client.list_credentials()
    if as_json:
        print_json(rows)
        return
    if not rows:
        info("No provider credentials yet. Add one with `kt credentials add openai`.")
        return
    print_table(
        "Provider credentials",
        ["id", "provider", "label", "key", "status", "endpoint / region", "created"],
        [
            [
                r["id"],
                r["provider"],
                r["label"],
                _key(r),
                r["status"],
                _where(r["config"]),
                r["createdAt"][:19],
            ]
            for r in rows
        ],
    )


def _key(meta: dict[str, Any]) -> str:
    """The secret's last 4 characters; a short secret shows none of it (the gateway sends last4 "")."""
    return f"…{meta['last4']}" if meta.get("last4") else "(hidden)"


def _print_credential(meta: dict[str, Any], as_json: bool) -> None:
    from killtoken_cli.output import print_json, print_table

    if as_json:
        print_json(meta)
        return
    rows = [[k, str(meta[k])] for k in ("id", "provider", "label", "status", "createdAt", "updatedAt")]
    rows.insert(3, ["key", _key(meta)])
    rows += [[f"config.{k}", str(v)] for k, v in meta["config"].items()]
    print_table(f"Credential {meta['id']}", ["field", "value"], rows)


@app.command("show")
def show(credential_id: CredentialArg, as_json: AsJson = False, tenant: Tenant = None) -> None:
    """One credential's metadata (never its secret)."""
    from killtoken_cli.connection import connect
    from killtoken_cli.errors import reported

    with reported(), connect(tenant=tenant) as client:
        _print_credential(client.get_credential(credential_id), as_json)


@app.command("update")
def update(
    credential_id: CredentialArg,
    rotate: Annotated[
        bool, typer.Option("--rotate", help="Replace the secret (asked hidden, or --from-env / stdin).")
    ] = False,
    from_env: FromEnvOpt = None,
    label: Annotated[str | None, typer.Option(help="A new label.")] = None,
    base_url: Annotated[str | None, typer.Option("--base-url", metavar="URL", help="A new base URL.")] = None,
    config: ConfigOpt = None,
    active: Annotated[
        bool | None, typer.Option("--activate/--deactivate", help="Use it for chat calls, or stop using it.")
    ] = None,
    as_json: AsJson = False,
    tenant: Tenant = None,
) -> None:
    """Rotate, relabel, reconfigure or (de)activate a credential. The gateway uses the change at once."""
    from killtoken_cli.connection import connect
    from killtoken_cli.credential_input import Flags, collect, parse_config
    from killtoken_cli.errors import reported

    with reported(), connect(tenant=tenant) as client:
        changes: dict[str, Any] = {k: (v or None) for k, v in parse_config(config or []).items()}
        if base_url:
            changes["baseUrl"] = base_url
        secrets = None
        if rotate or from_env:
            provider = client.get_credential(credential_id)["provider"]
            shape = next(p for p in client.providers() if p["name"] == provider)
            secrets, _ = collect(provider, shape, Flags(from_env=from_env or []), ask_config=False)
        meta = client.update_credential(
            credential_id, secrets=secrets, label=label, config=changes or None, active=active
        )
    _print_credential(meta, as_json)


@app.command("test")
def test(
    credential_id: CredentialArg,
    model: Annotated[str | None, typer.Option(help="Model to call (default: a small one for the provider).")] = None,
    as_json: AsJson = False,
    tenant: Tenant = None,
) -> None:
    """Make one tiny live call with a credential. Prints ok, auth_failed, unreachable or error (exit 1 unless ok)."""
    from killtoken_cli.connection import connect
    from killtoken_cli.errors import reported
    from killtoken_cli.output import EXIT_ERROR, info, print_json

    with reported(), connect(tenant=tenant) as client:
        result = client.test_credential(credential_id, model=model)
    if as_json:
        print_json(result)
    else:
        colour = "green" if result["ok"] else "red"
        detail = f": {result['message']}" if result["message"] else ""
        info(
            f"[bold {colour}]{result['status']}[/] {result['provider']} credential {result['credentialId']} "
            f"with {result['model']} in {result['latencyMs']:.0f} ms{detail}"
        )
    if not result["ok"]:
        raise typer.Exit(EXIT_ERROR)


@app.command("remove")
def remove(
    credential_id: Annotated[str, typer.Argument(help="The cred_ id from `kt credentials list`.")],
    tenant: Tenant = None,
) -> None:
    """Delete a credential and its secret."""
    from killtoken_cli.connection import connect
    from killtoken_cli.errors import reported
    from killtoken_cli.output import info

    with reported(), connect(tenant=tenant) as client:
        client.remove_credential(credential_id)
    info(f"Removed {credential_id}.")
