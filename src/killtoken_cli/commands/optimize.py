"""`kt optimize preview`: what an optimization mode would change in a request, and what it would save."""

from __future__ import annotations

import difflib
import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from killtoken_cli.help_format import Typer
from killtoken_cli.output import fail, usd
from killtoken_cli.shared_options import AsJson, Tenant

app = Typer(help="Prompt optimization: preview a mode on a request.", no_args_is_help=True)


def conversation_lines(messages: list[dict[str, Any]]) -> list[str]:
    lines: list[str] = []
    for index, message in enumerate(messages):
        lines.append(f"### [{index}] {message.get('role')}")
        content = message.get("content")
        if isinstance(content, list):
            content = "\n".join(p.get("text", f"[{p.get('type')}]") for p in content if isinstance(p, dict))
        if content is not None:
            lines.extend(str(content).split("\n"))
        for call in message.get("tool_calls") or []:
            function = call.get("function") or {}
            lines.append(f"(tool call {function.get('name')}({function.get('arguments', '')}))")
    return lines


def _summary(result: dict[str, Any]) -> list[str]:
    report = result["optimization"]
    before, removed = report["tokensBefore"], report["tokensRemoved"]
    share = f"{removed / before:.0%}" if before else "0%"
    money = usd(report["estimatedSavingsUsd"], exact=True, missing="unpriced")
    exact = "" if report["tokenizerExact"] else ", approximate for this model"
    lines = [
        f"{report['mode']}: {before} -> {report['tokensAfter']} tokens (-{removed}, {share}); "
        f"estimated savings {money} per request at {result['provider'] or '?'} {result['model']} input price "
        f"(counted with {report['tokenizer']}{exact})"
    ]
    summaries = {o["name"]: o["summary"] for o in result.get("optimizers", [])}
    for step in report["optimizers"]:
        what = summaries.get(step["name"], "") + ("" if step["applied"] else " (not in this mode)")
        lines.append(f"  {step['name']:<22} {step['mode']:<10} -{step['tokensRemoved']:<7} {what}")
    lines.append("  all modes: " + ", ".join(f"{m} -{s['tokensRemoved']}" for m, s in report["shadow"].items()))
    return lines


@app.command("preview")
def preview(
    mode: Annotated[
        str | None, typer.Option(help="safe, balanced or aggressive (default: the request's own, else balanced).")
    ] = None,
    file: Annotated[Path | None, typer.Option("--file", help="The request JSON (default: standard input).")] = None,
    as_json: AsJson = False,
    tenant: Tenant = None,
) -> None:
    """Show the diff and savings of a mode on a chat request. The request is read from stdin; nothing
    is sent upstream."""
    from killtoken_cli.connection import connect
    from killtoken_cli.errors import reported
    from killtoken_cli.output import print_json

    if file is None and sys.stdin.isatty():
        fail("Pipe a chat request on standard input (`kt optimize preview < request.json`) or pass --file.", 2)
    text = file.read_text(encoding="utf-8") if file is not None else sys.stdin.read()
    try:
        request = json.loads(text)
    except ValueError as exc:
        fail(f"The request is not valid JSON: {exc}.", 2)
    if not isinstance(request, dict):
        fail("The request must be a JSON object with messages (and model, provider or template).", 2)
    with reported(), connect(tenant=tenant) as client:
        result = client.preview_optimization(request, mode=mode)
    if as_json:
        print_json(result)
        return
    diff = difflib.unified_diff(
        conversation_lines(result["original"]),
        conversation_lines(result["optimized"]),
        "original",
        result["optimization"]["mode"],
        lineterm="",
    )
    sys.stdout.write("".join(f"{line}\n" for line in diff))
    sys.stdout.write("".join(f"{line}\n" for line in _summary(result)))
