"""`kt templates`: prompt templates with `{{variable}}` placeholders, versioned on every edit."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from killtoken_cli.help_format import Typer
from killtoken_cli.output import fail
from killtoken_cli.shared_options import AsJson, Tenant

app = Typer(help="Prompt templates: add, list, show, edit, render, remove.", no_args_is_help=True)

FileOption = Annotated[
    Path | None,
    typer.Option("--file", help="JSON: a messages array, or an object with messages and defaults. '-' reads stdin."),
]
SystemOption = Annotated[
    str | None, typer.Option("--system", metavar="TEXT", help="A system message (may use {{variables}}).")
]
UserOption = Annotated[
    str | None, typer.Option("--user", metavar="TEXT", help="A user message (may use {{variables}}).")
]
ProviderOption = Annotated[str | None, typer.Option(help="Default provider, e.g. openai.")]
ModelOption = Annotated[str | None, typer.Option(help="Default model, e.g. gpt-4.1-mini.")]
ModeOption = Annotated[str | None, typer.Option("--mode", help="Default optimizationMode.")]
DescriptionOption = Annotated[str | None, typer.Option(metavar="TEXT", help="What the template is for.")]
VersionOption = Annotated[int | None, typer.Option(min=1, metavar="N", help="A version number (default: the latest).")]


def _read_fields(file: Path | None, system: str | None, user: str | None) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    if file is not None:
        text = sys.stdin.read() if str(file) == "-" else file.read_text(encoding="utf-8")
        try:
            document = json.loads(text)
        except ValueError as exc:
            fail(f"{file} is not valid JSON: {exc}.", 2)
        fields = {"messages": document} if isinstance(document, list) else dict(document)
    typed = [{"role": role, "content": text} for role, text in (("system", system), ("user", user)) if text]
    if typed:
        fields["messages"] = [*fields.get("messages", []), *typed]
    return fields


def _with_replaced_roles(current: list[dict[str, Any]], system: str | None, user: str | None) -> list[dict[str, Any]]:
    """`edit --system/--user` replace only the messages of that role; the rest of the template stays."""
    merged = list(current)
    for role, text in (("system", system), ("user", user)):
        if not text:
            continue
        given = {"role": role, "content": text}
        places = [i for i, message in enumerate(merged) if message.get("role") == role]
        if not places:
            merged = [given, *merged] if role == "system" else [*merged, given]
            continue
        # Several messages of that role (a few-shot template): the last one is the one a user edits.
        merged[places[-1]] = given
    return merged


def _defaults(provider: str | None, model: str | None, mode: str | None, description: str | None) -> dict[str, Any]:
    given = {"provider": provider, "model": model, "optimizationMode": mode, "description": description}
    return {k: v for k, v in given.items() if v is not None}


def _summary(t: dict[str, Any]) -> str:
    defaults = " ".join(f"{k}={t[k]}" for k in ("provider", "model", "optimizationMode") if t.get(k))
    return f"[bold]{t['name']}[/] {t['id']} v{t['version']} of {t['latestVersion']} {defaults}".strip()


def _print_messages(messages: list[dict[str, Any]]) -> None:
    for message in messages:
        content = message.get("content")
        if isinstance(content, list):
            content = "\n".join(p.get("text", f"[{p.get('type')}]") for p in content if isinstance(p, dict))
        sys.stdout.write(f"--- {message.get('role')}\n{content}\n")


@app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="Unique in your tenant, e.g. support-reply.")],
    file: FileOption = None,
    system: SystemOption = None,
    user: UserOption = None,
    provider: ProviderOption = None,
    model: ModelOption = None,
    mode: ModeOption = None,
    description: DescriptionOption = None,
    as_json: AsJson = False,
    tenant: Tenant = None,
) -> None:
    """Create a template from --file and/or --system/--user messages."""
    from killtoken_cli.connection import connect
    from killtoken_cli.errors import reported
    from killtoken_cli.output import info, print_json

    fields = {**_read_fields(file, system, user), **_defaults(provider, model, mode, description)}
    if not fields.get("messages"):
        fail("A template needs messages: --file template.json, or --system/--user text.", 2)
    with reported(), connect(tenant=tenant) as client:
        template = client.add_template(name, fields.pop("messages"), **fields)
    if as_json:
        print_json(template)
    else:
        info(f"Added {_summary(template)}; variables: {', '.join(template['variables']) or 'none'}.")


@app.command("list")
def list_(as_json: AsJson = False, tenant: Tenant = None) -> None:
    """Your templates, latest versions."""
    from killtoken_cli.connection import connect
    from killtoken_cli.errors import reported
    from killtoken_cli.output import info, print_json, print_table

    with reported(), connect(tenant=tenant) as client:
        rows = client.list_templates()
    if as_json:
        print_json(rows)
        return
    if not rows:
        info("No templates yet. Add one with `kt templates add NAME --user 'Hello {{name}}'`.")
        return
    print_table(
        "Templates",
        ["id", "name", "version", "variables", "provider / model", "mode"],
        [
            [
                t["id"],
                t["name"],
                str(t["version"]),
                ", ".join(t["variables"]),
                f"{t.get('provider') or ''} {t.get('model') or ''}".strip(),
                t.get("optimizationMode") or "",
            ]
            for t in rows
        ],
    )


@app.command("show")
def show(
    ref: Annotated[str, typer.Argument(metavar="TEMPLATE", help="A tpl_ id or a name.")],
    version: VersionOption = None,
    as_json: AsJson = False,
    tenant: Tenant = None,
) -> None:
    """Show a template (the latest version, or --version N)."""
    from killtoken_cli.connection import connect
    from killtoken_cli.errors import reported
    from killtoken_cli.output import info, print_json

    with reported(), connect(tenant=tenant) as client:
        template = client.get_template(ref, version=version)
    if as_json:
        print_json(template)
        return
    info(f"{_summary(template)}; variables: {', '.join(template['variables']) or 'none'}")
    _print_messages(template["messages"])


@app.command("edit")
def edit(
    ref: Annotated[str, typer.Argument(metavar="TEMPLATE", help="A tpl_ id or a name.")],
    file: FileOption = None,
    system: SystemOption = None,
    user: UserOption = None,
    provider: ProviderOption = None,
    model: ModelOption = None,
    mode: ModeOption = None,
    description: DescriptionOption = None,
    rename: Annotated[str | None, typer.Option(metavar="NAME", help="A new name.")] = None,
    as_json: AsJson = False,
    tenant: Tenant = None,
) -> None:
    """Save a new version of a template. --file replaces all messages, --system/--user only that
    role's; the rest stays."""
    from killtoken_cli.connection import connect
    from killtoken_cli.errors import reported
    from killtoken_cli.output import info, print_json

    only_roles = file is None and (system or user)
    changes = {**_read_fields(file, system, user), **_defaults(provider, model, mode, description)}
    if rename:
        changes["name"] = rename
    if not changes:
        fail(
            "Nothing to change: give --file, --system/--user, --model, --provider, --mode, --description or --rename.",
            2,
        )
    with reported(), connect(tenant=tenant) as client:
        if only_roles:
            changes["messages"] = _with_replaced_roles(client.get_template(ref)["messages"], system, user)
        template = client.update_template(ref, **changes)
    if as_json:
        print_json(template)
    else:
        info(f"Saved {_summary(template)}.")


@app.command("render")
def render(
    ref: Annotated[str, typer.Argument(metavar="TEMPLATE", help="A tpl_ id or a name.")],
    var: Annotated[
        list[str] | None, typer.Option("--var", metavar="NAME=VALUE", help="name=value (repeatable).")
    ] = None,
    version: VersionOption = None,
    as_json: AsJson = False,
    tenant: Tenant = None,
) -> None:
    """Print the messages a chat request would send with these variables."""
    from killtoken_cli.connection import connect
    from killtoken_cli.errors import reported
    from killtoken_cli.output import print_json

    variables: dict[str, str] = {}
    for pair in var or []:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            fail(f"--var expects name=value, got {pair!r}.", 2)
        variables[key.strip()] = value
    with reported(), connect(tenant=tenant) as client:
        rendered = client.render_template(ref, variables, version=version)
    if as_json:
        print_json(rendered)
    else:
        _print_messages(rendered["messages"])


@app.command("remove")
def remove(
    ref: Annotated[str, typer.Argument(metavar="TEMPLATE", help="A tpl_ id or a name.")], tenant: Tenant = None
) -> None:
    """Delete a template and all its versions. Recorded requests keep their template id."""
    from killtoken_cli.connection import connect
    from killtoken_cli.errors import reported
    from killtoken_cli.output import info

    with reported(), connect(tenant=tenant) as client:
        client.remove_template(ref)
    info(f"Removed {ref}.")
