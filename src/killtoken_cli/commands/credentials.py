"""`kt credentials`: store provider keys (secret to the OS keyring / vault), list, update, test, remove them."""

from __future__ import annotations

import os
import sys
from typing import Annotated, Any

import typer

from killtoken_cli.output import fail

app = typer.Typer(help="Provider credentials (BYOK): add, list, show, update, test, remove.", no_args_is_help=True)

CredentialArg = Annotated[str, typer.Argument(help="The cred_ id from `kt credentials list`.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]
FromEnvOpt = Annotated[str | None, typer.Option("--from-env", help="Read the secret from this env var.")]
ConfigOpt = Annotated[
    list[str] | None, typer.Option("--config", help="Config as key=value (repeatable; `key=` removes it on update).")
]


def _parse_config(pairs: list[str]) -> dict[str, str]:
    config = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            fail(f"--config expects key=value, got {pair!r}.", 2)
        config[key.strip()] = value.strip()
    return config


def _read_secret(prompt: str, from_env: str | None) -> str:
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
    value = str(typer.prompt(prompt, hide_input=True)).strip()
    if not value:
        fail("The API key is empty.", 2)
    return value


@app.command("add")
def add(
    provider: Annotated[str, typer.Argument(help="openai, openai_compatible, ...")],
    label: Annotated[str | None, typer.Option(help="A name to tell credentials apart.")] = None,
    from_env: FromEnvOpt = None,
    base_url: Annotated[str | None, typer.Option("--base-url", help="Base URL, e.g. http://localhost:8000/v1.")] = None,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Store a provider credential. The secret is read hidden (or from --from-env / stdin), never echoed."""
    from killtoken_cli.connection import connect
    from killtoken_cli.errors import reported
    from killtoken_cli.output import info, print_json

    settings_config = _parse_config(config or [])
    if base_url:
        settings_config["baseUrl"] = base_url
    with reported():
        secret = _read_secret(f"{provider} API key", from_env)
        with connect() as client:
            meta = client.add_credential(provider, api_key=secret, config=settings_config, label=label)
    if as_json:
        print_json(meta)
    else:
        ending = f" ending …{meta['last4']}" if meta.get("last4") else ""
        info(f"Stored {meta['provider']} credential [bold]{meta['id']}[/] ({meta['label']}){ending}.")


@app.command("list")
def list_(as_json: JsonOpt = False) -> None:
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
        ["id", "provider", "label", "key", "status", "base URL", "created"],
        [
            [
                r["id"],
                r["provider"],
                r["label"],
                f"…{r['last4']}" if r["last4"] else "",
                r["status"],
                str(r["config"].get("baseUrl", "")),
                r["createdAt"][:19],
            ]
            for r in rows
        ],
    )


def _print_credential(meta: dict[str, Any], as_json: bool) -> None:
    from killtoken_cli.output import print_json, print_table

    if as_json:
        print_json(meta)
        return
    rows = [[k, str(meta[k])] for k in ("id", "provider", "label", "status", "createdAt", "updatedAt")]
    rows.insert(3, ["key", f"…{meta['last4']}" if meta["last4"] else "(hidden)"])
    rows += [[f"config.{k}", str(v)] for k, v in meta["config"].items()]
    print_table(f"Credential {meta['id']}", ["field", "value"], rows)


@app.command("show")
def show(credential_id: CredentialArg, as_json: JsonOpt = False) -> None:
    """One credential's metadata (never its secret)."""
    from killtoken_cli.connection import connect
    from killtoken_cli.errors import reported

    with reported(), connect() as client:
        _print_credential(client.get_credential(credential_id), as_json)


@app.command("update")
def update(
    credential_id: CredentialArg,
    rotate: Annotated[
        bool, typer.Option("--rotate", help="Replace the secret (asked hidden, or --from-env / stdin).")
    ] = False,
    from_env: FromEnvOpt = None,
    label: Annotated[str | None, typer.Option(help="A new label.")] = None,
    base_url: Annotated[str | None, typer.Option("--base-url", help="A new base URL.")] = None,
    config: ConfigOpt = None,
    active: Annotated[
        bool | None, typer.Option("--activate/--deactivate", help="Use it for chat calls, or stop using it.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Rotate the secret, relabel, change config, or (de)activate; the gateway uses the change at once."""
    from killtoken_cli.connection import connect
    from killtoken_cli.errors import reported

    changes: dict[str, Any] = {k: (v or None) for k, v in _parse_config(config or []).items()}
    if base_url:
        changes["baseUrl"] = base_url
    with reported():
        secret = _read_secret("New API key", from_env) if rotate or from_env else None
        with connect() as client:
            meta = client.update_credential(
                credential_id, api_key=secret, label=label, config=changes or None, active=active
            )
    _print_credential(meta, as_json)


@app.command("test")
def test(
    credential_id: CredentialArg,
    model: Annotated[str | None, typer.Option(help="Model to call (default: a small one for the provider).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Make one tiny live call with the credential: ok, auth_failed, unreachable or error (exit 1 unless ok)."""
    from killtoken_cli.connection import connect
    from killtoken_cli.errors import reported
    from killtoken_cli.output import EXIT_ERROR, info, print_json

    with reported(), connect() as client:
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
def remove(credential_id: Annotated[str, typer.Argument(help="The cred_ id from `kt credentials list`.")]) -> None:
    """Delete a credential and its secret."""
    from killtoken_cli.connection import connect
    from killtoken_cli.errors import reported
    from killtoken_cli.output import info

    with reported(), connect() as client:
        client.remove_credential(credential_id)
    info(f"Removed {credential_id}.")
