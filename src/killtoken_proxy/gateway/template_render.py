"""`{{variable}}` placeholders in template messages: which a template needs, and filling them in."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from killtoken_proxy.errors import InvalidRequest

VARIABLE = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_.-]*)\s*\}\}")


def _texts(messages: list[dict[str, Any]]) -> list[str]:
    out: list[str] = []
    for message in messages:
        content = message.get("content")
        if isinstance(content, str):
            out.append(content)
        elif isinstance(content, list):
            out.extend(p["text"] for p in content if isinstance(p, dict) and isinstance(p.get("text"), str))
    return out


def variables_of(messages: list[dict[str, Any]]) -> list[str]:
    """The placeholders, each once, in order of first appearance."""
    return list(dict.fromkeys(name for text in _texts(messages) for name in VARIABLE.findall(text)))


def parse_variables(value: Any) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidRequest(
            '`variables` must be an object such as {"customer": "Ada"}.',
            code="invalid_template_variables",
            param="variables",
        )
    bad = sorted(k for k, v in value.items() if isinstance(v, dict | list) or v is None)
    if bad:
        raise InvalidRequest(
            f"Template variables must be strings or numbers; not: {', '.join(bad)}.",
            code="invalid_template_variables",
            param="variables",
        )
    return {k: v if isinstance(v, str) else str(v).lower() if isinstance(v, bool) else str(v) for k, v in value.items()}


def render(label: str, messages: list[dict[str, Any]], values: Mapping[str, str]) -> list[dict[str, Any]]:
    """The messages with every placeholder filled in one pass (a value is never expanded again).

    Missing and unknown variables are both errors, and the message names every one of them.
    """
    needed = variables_of(messages)
    missing = [name for name in needed if name not in values]
    unknown = sorted(set(values) - set(needed))
    if missing or unknown:
        problems = []
        if missing:
            problems.append("missing variable(s) " + ", ".join(f"`{n}`" for n in missing))
        if unknown:
            problems.append("unknown variable(s) " + ", ".join(f"`{n}`" for n in unknown))
        raise InvalidRequest(
            f"Template {label}: {'; '.join(problems)}. It uses: {', '.join(needed) or 'no variables'}.",
            code="invalid_template_variables",
            param="variables",
        )

    def fill(text: str) -> str:
        return VARIABLE.sub(lambda match: values[match.group(1)], text)

    rendered: list[dict[str, Any]] = []
    for message in messages:
        content = message.get("content")
        if isinstance(content, str):
            message = {**message, "content": fill(content)}
        elif isinstance(content, list):
            parts = [
                {**p, "text": fill(p["text"])} if isinstance(p, dict) and isinstance(p.get("text"), str) else p
                for p in content
            ]
            message = {**message, "content": parts}
        rendered.append(message)
    return rendered
