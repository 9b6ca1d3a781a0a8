"""`kt tenants`: tenants and their plans (admin API, authorised by the local admin token)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from killtoken_cli.help_format import Typer
from killtoken_cli.shared_options import AsJson

app = Typer(
    help="Tenants: one set of provider keys, one quota, one bill each.",
    no_args_is_help=True,
)

TenantArg = Annotated[str, typer.Argument(help="Tenant name (or tn_ id).")]
PlanOpt = Annotated[str | None, typer.Option(help="free (1,000/month), pro (100,000/month) or unlimited.")]
MonthlyOpt = Annotated[
    int | None,
    typer.Option("--monthly-requests", min=1, metavar="N", help="A custom monthly request limit (plan `custom`)."),
]
RateOpt = Annotated[
    int | None, typer.Option("--rate-limit", min=1, metavar="N", help="Chat requests per minute (default 120).")
]
DefaultProviderOpt = Annotated[
    str | None,
    typer.Option(
        "--default-provider",
        metavar="PROVIDER",
        help="Serves model names no routing rule places (e.g. llama-3.1-8b); `none` (or `null`) clears it.",
    ),
]


def _one_limit(plan: str | None, monthly_requests: int | None) -> None:
    if plan is not None and monthly_requests is not None:
        from killtoken_cli.output import fail

        fail("Give either --plan or --monthly-requests (a custom plan), not both.", 2)


def _limit(tenant: dict[str, Any]) -> str:
    usage = tenant["usage"]
    return f"{usage['used']:,} / " + ("unlimited" if usage["limit"] is None else f"{usage['limit']:,}")


def _default_provider(tenant: dict[str, Any]) -> str:
    return str(tenant.get("defaultProvider") or "-")


def _describe(tenant: dict[str, Any]) -> list[list[str]]:
    return [
        ["id", tenant["id"]],
        ["name", tenant["name"]],
        ["status", tenant["status"]],
        ["plan", tenant["plan"]],
        [f"requests this month ({tenant['usage']['period']})", _limit(tenant)],
        ["quota resets", tenant["usage"]["resetsAt"]],
        ["rate limit", f"{tenant['rateLimitPerMinute']:,} / minute"],
        ["default provider", _default_provider(tenant)],
        ["active keys", str(tenant["activeKeys"])],
        ["created", tenant["createdAt"][:19]],
    ]


def _print_tenant(tenant: dict[str, Any], as_json: bool) -> None:
    from killtoken_cli.output import print_json, print_table

    if as_json:
        print_json(tenant)
    else:
        print_table(f"Tenant {tenant['name']}", ["field", "value"], _describe(tenant))


@app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="A unique name: letters, digits, `.`, `_`, `-`.")],
    plan: PlanOpt = None,
    monthly_requests: MonthlyOpt = None,
    rate_limit: RateOpt = None,
    default_provider: DefaultProviderOpt = None,
    as_json: AsJson = False,
) -> None:
    """Create a tenant and print its first kt_ key. The key is shown once: store it now."""
    from killtoken_cli.connection import connect_admin
    from killtoken_cli.errors import reported
    from killtoken_cli.output import info, print_json

    _one_limit(plan, monthly_requests)
    with reported(), connect_admin() as admin:
        created = admin.create_tenant(
            name,
            plan=plan,
            monthly_requests=monthly_requests,
            rate_limit_per_minute=rate_limit,
            default_provider=default_provider,
        )
    if as_json:
        print_json(created)
        return
    tenant = created["tenant"]
    info(f"[bold green]Created tenant `{tenant['name']}`[/] ({tenant['id']}, plan {tenant['plan']}).")
    info("Its API key (shown once, store it now):")
    typer.echo(created["key"]["key"])


@app.command("list")
def list_(as_json: AsJson = False) -> None:
    """All tenants: plan, usage, rate limit, default provider, keys."""
    from killtoken_cli.connection import connect_admin
    from killtoken_cli.errors import reported
    from killtoken_cli.output import print_json, print_table

    with reported(), connect_admin() as admin:
        tenants = admin.list_tenants()
    if as_json:
        print_json(tenants)
        return
    print_table(
        "Tenants",
        ["name", "id", "status", "plan", "requests this month", "rate / min", "default provider", "keys"],
        [
            [
                t["name"],
                t["id"],
                t["status"],
                t["plan"],
                _limit(t),
                str(t["rateLimitPerMinute"]),
                _default_provider(t),
                str(t["activeKeys"]),
            ]
            for t in tenants
        ],
    )


@app.command("show")
def show(tenant: TenantArg, as_json: AsJson = False) -> None:
    """Show one tenant: plan, usage, limits, default provider, keys. Usage is this month's, with when
    the quota resets."""
    from killtoken_cli.connection import connect_admin
    from killtoken_cli.errors import reported

    with reported(), connect_admin() as admin:
        _print_tenant(admin.get_tenant(tenant), as_json)


@app.command("update")
def update(
    tenant: TenantArg,
    plan: PlanOpt = None,
    monthly_requests: MonthlyOpt = None,
    rate_limit: RateOpt = None,
    rename: Annotated[str | None, typer.Option(metavar="NAME", help="A new name.")] = None,
    default_provider: DefaultProviderOpt = None,
    as_json: AsJson = False,
) -> None:
    """Change a tenant's plan, rate limit, default provider or name. A custom monthly limit:
    --monthly-requests instead of --plan."""
    from killtoken_cli.connection import connect_admin
    from killtoken_cli.errors import reported

    _one_limit(plan, monthly_requests)
    with reported(), connect_admin() as admin:
        updated = admin.update_tenant(
            tenant,
            name=rename,
            plan=plan,
            monthly_requests=monthly_requests,
            rate_limit_per_minute=rate_limit,
            default_provider=default_provider,
        )
    _print_tenant(updated, as_json)


def _set_status(tenant: str, suspend: bool) -> None:
    from killtoken_cli.connection import connect_admin
    from killtoken_cli.errors import reported
    from killtoken_cli.output import info

    with reported(), connect_admin() as admin:
        result = admin.suspend_tenant(tenant) if suspend else admin.resume_tenant(tenant)
    info(f"Tenant `{result['name']}` is {result['status']}.")


@app.command("suspend")
def suspend(tenant: TenantArg) -> None:
    """Refuse every request of a tenant (403 tenant_suspended). Its data is kept."""
    _set_status(tenant, suspend=True)


@app.command("resume")
def resume(tenant: TenantArg) -> None:
    """Let a suspended tenant's keys work again."""
    _set_status(tenant, suspend=False)


@app.command("remove")
def remove(
    tenant: TenantArg,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Delete a tenant, its keys and its provider credentials. Their secrets go too; the request history stays."""
    from killtoken_cli.connection import connect_admin
    from killtoken_cli.errors import reported
    from killtoken_cli.output import fail, info

    if not yes and not typer.confirm(f"Remove tenant {tenant!r}, its keys and its provider credentials?"):
        fail("Nothing removed.", 1)
    with reported(), connect_admin() as admin:
        admin.remove_tenant(tenant)
    info(f"Removed tenant {tenant}.")
