"""`kt keys`: a tenant's kt_ API keys: create (shown once), list (prefix and last 4 only), revoke."""

from __future__ import annotations

from typing import Annotated

import typer

from killtoken_cli.help_format import Typer
from killtoken_cli.shared_options import AsJson

app = Typer(help="A tenant's kt_ API keys: create, list, revoke.", no_args_is_help=True)

TenantOpt = Annotated[str, typer.Option("--tenant", "-t", help="Tenant name (or tn_ id).")]


@app.command("create")
def create(
    tenant: TenantOpt = "default",
    label: Annotated[str | None, typer.Option(help="What the key is for, e.g. `billing-worker`.")] = None,
    as_json: AsJson = False,
) -> None:
    """Issue a new key for the tenant and print it. The key is shown once: store it now."""
    from killtoken_cli.connection import connect_admin
    from killtoken_cli.errors import reported
    from killtoken_cli.output import info, print_json

    with reported(), connect_admin() as admin:
        key = admin.create_key(tenant, label=label)
    if as_json:
        print_json(key)
        return
    info(f"[bold green]Created key {key['id']}[/] for tenant `{tenant}` (shown once, store it now):")
    typer.echo(key["key"])


@app.command("list")
def list_(tenant: TenantOpt = "default", as_json: AsJson = False) -> None:
    """List a tenant's keys, masked (never the key itself). Each with id, label, prefix and last 4
    characters, status."""
    from killtoken_cli.connection import connect_admin
    from killtoken_cli.errors import reported
    from killtoken_cli.output import print_json, print_table

    with reported(), connect_admin() as admin:
        keys = admin.list_keys(tenant)
    if as_json:
        print_json(keys)
        return
    print_table(
        f"Keys of tenant {tenant}",
        ["id", "key", "label", "status", "created", "revoked"],
        [
            [k["id"], k["display"], k["label"], k["status"], k["createdAt"][:19], (k["revokedAt"] or "")[:19]]
            for k in keys
        ],
    )


@app.command("revoke")
def revoke(
    key_id: Annotated[str, typer.Argument(help="The key_ id from `kt keys list`.")],
    tenant: TenantOpt = "default",
) -> None:
    """Revoke a key: requests with it get 401 from the next one on."""
    from killtoken_cli.connection import connect_admin
    from killtoken_cli.errors import reported
    from killtoken_cli.output import info

    with reported(), connect_admin() as admin:
        key = admin.revoke_key(tenant, key_id)
    info(f"Revoked {key['id']} ({key['display']}) of tenant `{tenant}`.")
