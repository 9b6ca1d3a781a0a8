"""`kt chat`: one chat call through the gateway from the terminal; the answer to stdout, its metrics to stderr."""

from __future__ import annotations

import re
import sys
from typing import Annotated, Any

import typer

from killtoken_cli.output import fail, usd


def _prompt(text: str) -> str:
    if text != "-":
        return text
    read = sys.stdin.read().strip()
    if not read:
        fail("No message on standard input.", 2)
    return read


def provider_as_option(message: str) -> str:
    """The gateway tells HTTP clients to send the `x-killtoken-provider` header; here that is `--provider`."""
    from killtoken_proxy.gateway.routing import PROVIDER_HEADER

    def option(found: re.Match[str]) -> str:
        value = f" {found[2]}" if found[2] else ""
        return f"{'pass ' if found[1] else ''}`--provider{value}`"

    return re.sub(rf"(send )?the `{re.escape(PROVIDER_HEADER)}(?:: ([^`]+))?` header", option, message)


def answer_text(response: dict[str, Any]) -> str | None:
    """The first choice's text: a string, or the text parts of a list (some providers answer in parts)."""
    choices = response.get("choices") or [{}]
    content = (choices[0].get("message") or {}).get("content")
    if isinstance(content, list):
        content = "".join(p.get("text", "") for p in content if isinstance(p, dict))
    return content if isinstance(content, str) and content else None


def _metrics_rows(metrics: dict[str, Any]) -> list[list[str]]:
    latency = metrics.get("latencyMs") or {}
    cost = metrics.get("costUsd")
    return [
        ["request", str(metrics.get("requestId"))],
        ["provider / model", f"{metrics.get('provider')} {metrics.get('model')}"],
        ["feature", metrics.get("feature") or "(untagged)"],
        [
            "tokens in / out",
            f"{metrics.get('promptTokens')} ({metrics.get('cachedPromptTokens')} cached) / "
            f"{metrics.get('completionTokens')}",
        ],
        ["cost", usd(cost, exact=True, missing="unpriced model")],
        ["cache", str(metrics.get("cacheStatus"))],
        [
            "latency ms",
            f"{latency.get('total')} total, {latency.get('upstream')} provider, {latency.get('gateway')} gateway",
        ],
    ]


def chat(
    message: Annotated[str, typer.Argument(help='The user message; "-" reads it from standard input.')],
    model: Annotated[str, typer.Option(help="Model name as the provider knows it, e.g. gpt-4.1-mini.")],
    provider: Annotated[
        str | None,
        typer.Option(help="Provider with a stored credential, e.g. openai (default: routed by the model's name)."),
    ] = None,
    feature: Annotated[str | None, typer.Option(help="Feature tag to record the call under.")] = None,
    system: Annotated[
        str | None, typer.Option(metavar="TEXT", help="A system instruction sent before the message.")
    ] = None,
    max_tokens: Annotated[int | None, typer.Option(min=1, metavar="N", help="Cap on the answer's tokens.")] = None,
    optimization_mode: Annotated[
        str | None,
        typer.Option("--optimization-mode", metavar="MODE", help="measure_only, safe, balanced or aggressive."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the response and metrics as JSON.")] = False,
) -> None:
    """Send one message; print the answer and what it cost. The answer goes to stdout, the cost to stderr."""
    from killtoken_cli.connection import connect
    from killtoken_cli.errors import reported
    from killtoken_cli.output import info, print_json, print_table

    messages = ([{"role": "system", "content": system}] if system else []) + [
        {"role": "user", "content": _prompt(message)}
    ]
    params: dict[str, Any] = {"max_tokens": max_tokens} if max_tokens else {}
    with reported(reword=provider_as_option), connect() as client:
        response, metrics = client.chat(
            provider=provider,
            model=model,
            messages=messages,
            feature=feature,
            optimization_mode=optimization_mode,
            **params,
        )
    if as_json:
        print_json({"response": response, "metrics": metrics})
        return
    text = answer_text(response)
    if text is None:
        choice = (response.get("choices") or [{}])[0]
        info(f"[yellow]No text in the answer[/] (finish_reason: {choice.get('finish_reason')}); see --json.")
    else:
        typer.echo(text)
    print_table("KillToken metrics", ["metric", "value"], _metrics_rows(metrics), stderr=True)
