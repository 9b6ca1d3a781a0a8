"""Reading the internal (OpenAI-style) request for the full translators: system text, parts, tools, params."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from killtoken_proxy.errors import InvalidRequest

SYSTEM_ROLES = ("system", "developer")
_DATA_URL = re.compile(r"^data:(?P<mime>[\w.+-]+/[\w.+-]+)(?:;[^,;]*)*;base64,(?P<data>.*)$", re.DOTALL)


def invalid_messages(message: str, param: str = "messages") -> InvalidRequest:
    return InvalidRequest(message, code="invalid_messages", param=param)


def invalid_param(message: str, param: str) -> InvalidRequest:
    return InvalidRequest(message, code="invalid_request", param=param)


def content_parts(content: Any) -> list[dict[str, Any]]:
    """Content as a list of parts; a string becomes one text part; empty text parts are removed."""
    if content is None:
        return []
    parts = [{"type": "text", "text": content}] if isinstance(content, str) else list(content)
    return [p for p in parts if not (p.get("type") == "text" and not str(p.get("text", "")).strip())]


def plain_text(content: Any, where: str) -> str:
    """Text of a message that may carry only text (system, developer, tool)."""
    texts = []
    for part in content_parts(content):
        if part.get("type") not in ("text", "refusal"):
            raise invalid_messages(f"`{where}` may only contain text parts; got a `{part.get('type')}` part.", where)
        texts.append(str(part.get("text") or part.get("refusal") or ""))
    return "\n".join(texts)


def system_prompt(messages: list[dict[str, Any]]) -> str | None:
    """All system and developer messages, merged in order, for targets that take one system prompt."""
    texts = [
        plain_text(m.get("content"), f"messages[{i}].content")
        for i, m in enumerate(messages)
        if m.get("role") in SYSTEM_ROLES
    ]
    joined = "\n\n".join(t for t in texts if t.strip())
    return joined or None


def conversation(messages: list[dict[str, Any]]) -> list[tuple[int, dict[str, Any]]]:
    """The non-system messages with their original index (for error messages that name the field)."""
    return [(i, m) for i, m in enumerate(messages) if m.get("role") not in SYSTEM_ROLES]


@dataclass(frozen=True)
class InlineImage:
    media_type: str
    data: str  # base64


def image_url_of(part: dict[str, Any], where: str) -> str:
    image = part.get("image_url")
    url = image.get("url") if isinstance(image, dict) else image
    if not isinstance(url, str) or not url:
        raise invalid_messages(f"`{where}.image_url.url` must be a string.", where)
    return url


def inline_image(url: str, where: str, provider: str, allowed: Iterable[str] | None = None) -> InlineImage:
    """A `data:` image URL as base64 data; other URLs are refused with a clear message."""
    match = _DATA_URL.match(url)
    if match is None:
        raise invalid_messages(
            f"`{where}`: {provider} needs images inline; send a `data:image/...;base64,` URL instead of a link.", where
        )
    mime = match.group("mime").lower()
    allowed_types = tuple(allowed) if allowed is not None else None
    if allowed_types is not None and mime not in allowed_types:
        raise invalid_messages(
            f"`{where}`: {provider} accepts images of type {', '.join(allowed_types)}; got {mime}.", where
        )
    return InlineImage(mime, match.group("data").strip())


def unsupported_part(part: dict[str, Any], where: str, provider: str) -> InvalidRequest:
    return invalid_messages(
        f"`{where}`: content parts of type `{part.get('type')}` cannot be sent to {provider}; "
        "use text or image_url parts.",
        where,
    )


def tool_arguments(arguments: Any, where: str) -> dict[str, Any]:
    """An assistant tool call's arguments (a JSON string, as OpenAI sends them) as an object."""
    if isinstance(arguments, dict):
        return arguments
    if arguments is None or (isinstance(arguments, str) and not arguments.strip()):
        return {}
    try:
        parsed = json.loads(arguments) if isinstance(arguments, str) else None
    except ValueError:
        parsed = None
    if not isinstance(parsed, dict):
        raise invalid_messages(f"`{where}` must be a JSON object encoded as a string.", where)
    return parsed


def tool_calls_of(message: dict[str, Any], index: int) -> list[tuple[str, str, dict[str, Any]]]:
    """(id, name, arguments) of each function call in an assistant message."""
    calls = message.get("tool_calls") or []
    if not isinstance(calls, list):
        raise invalid_messages(f"`messages[{index}].tool_calls` must be an array.")
    result = []
    for n, call in enumerate(calls):
        where = f"messages[{index}].tool_calls[{n}]"
        function = call.get("function") if isinstance(call, dict) else None
        if not isinstance(function, dict) or not isinstance(function.get("name"), str):
            raise invalid_messages(f"`{where}` must be {{id, type: function, function: {{name, arguments}}}}.", where)
        call_id = call.get("id")
        if not isinstance(call_id, str) or not call_id:
            raise invalid_messages(f"`{where}.id` is required.", where)
        result.append((call_id, function["name"], tool_arguments(function.get("arguments"), f"{where}.function")))
    return result


def tool_call_id_of(message: dict[str, Any], index: int) -> str:
    call_id = message.get("tool_call_id")
    if not isinstance(call_id, str) or not call_id:
        raise invalid_messages(f"`messages[{index}].tool_call_id` is required for role `tool`.")
    return call_id


def tool_names(messages: list[dict[str, Any]]) -> dict[str, str]:
    """tool_call_id -> function name, from the assistant turns (Gemini needs the name on each result)."""
    names: dict[str, str] = {}
    for index, message in enumerate(messages):
        if message.get("role") == "assistant":
            names.update((call_id, name) for call_id, name, _ in tool_calls_of(message, index))
    return names


def merge_runs(turns: list[dict[str, Any]], role_key: str, content_key: str) -> list[dict[str, Any]]:
    """Merge consecutive turns of the same role (for providers that demand alternation)."""
    merged: list[dict[str, Any]] = []
    for turn in turns:
        if not turn[content_key]:
            continue
        if merged and merged[-1][role_key] == turn[role_key]:
            merged[-1] = {**merged[-1], content_key: merged[-1][content_key] + turn[content_key]}
        else:
            merged.append(turn)
    if not merged:
        raise invalid_messages("`messages` has no user or assistant content to send.")
    return merged


@dataclass(frozen=True)
class FunctionTool:
    name: str
    description: str | None
    parameters: dict[str, Any]


def function_tools(params: dict[str, Any]) -> list[FunctionTool]:
    tools = params.get("tools")
    if tools is None:
        return []
    if not isinstance(tools, list):
        raise invalid_param("`tools` must be an array.", "tools")
    result = []
    for n, tool in enumerate(tools):
        function = tool.get("function") if isinstance(tool, dict) else None
        if not isinstance(tool, dict) or tool.get("type", "function") != "function" or not isinstance(function, dict):
            raise invalid_param(f"`tools[{n}]` must be a function tool {{type: function, function: {{...}}}}.", "tools")
        name = function.get("name")
        if not isinstance(name, str) or not name:
            raise invalid_param(f"`tools[{n}].function.name` is required.", "tools")
        parameters = function.get("parameters") or {"type": "object", "properties": {}}
        description = function.get("description")
        result.append(FunctionTool(name, description if isinstance(description, str) else None, parameters))
    return result


ToolChoice = tuple[str, str | None]  # ("auto" | "none" | "required" | "function", function name)


def tool_choice(params: dict[str, Any]) -> ToolChoice | None:
    choice = params.get("tool_choice")
    if choice is None:
        return None
    if choice in ("auto", "none", "required"):
        return (str(choice), None)
    if isinstance(choice, dict):
        function = choice.get("function")
        if isinstance(function, dict) and isinstance(function.get("name"), str):
            return ("function", function["name"])
    raise invalid_param(
        '`tool_choice` must be "auto", "none", "required" or {type: function, function: {name}}.', "tool_choice"
    )


def stop_sequences(params: dict[str, Any]) -> list[str] | None:
    stop = params.get("stop")
    if stop is None:
        return None
    if isinstance(stop, str):
        return [stop]
    if isinstance(stop, list) and all(isinstance(s, str) for s in stop):
        return list(stop)
    raise invalid_param("`stop` must be a string or an array of strings.", "stop")


def number(params: dict[str, Any], name: str, clamp: tuple[float, float] | None = None) -> float | None:
    """A numeric generation parameter; clamped into the target's range where the target's is narrower."""
    value = params.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise invalid_param(f"`{name}` must be a number.", name)
    return min(max(float(value), clamp[0]), clamp[1]) if clamp else float(value)


def integer(params: dict[str, Any], *names: str) -> int | None:
    """The first of these integer parameters that is set (e.g. max_completion_tokens, then max_tokens)."""
    for name in names:
        value = params.get(name)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise invalid_param(f"`{name}` must be a positive integer.", name)
        return value
    return None


def single_choice(params: dict[str, Any], provider: str) -> None:
    """`n > 1` cannot be honoured by one-answer APIs; dropping it would silently change the answer count."""
    n = params.get("n")
    if n not in (None, 1):
        raise invalid_param(f"`n` must be 1 for {provider}, which returns one answer per call.", "n")


def json_schema_format(params: dict[str, Any]) -> tuple[str, dict[str, Any] | None] | None:
    """("json_object", None) or ("json_schema", schema) from `response_format`; None for text/absent."""
    response_format = params.get("response_format")
    if not isinstance(response_format, dict) or response_format.get("type") in (None, "text"):
        return None
    kind = response_format.get("type")
    if kind == "json_object":
        return ("json_object", None)
    if kind == "json_schema":
        spec = response_format.get("json_schema")
        schema = spec.get("schema") if isinstance(spec, dict) else None
        if not isinstance(schema, dict):
            raise invalid_param("`response_format.json_schema.schema` must be an object.", "response_format")
        return ("json_schema", schema)
    raise invalid_param("`response_format.type` must be text, json_object or json_schema.", "response_format")


def each_part(
    content: Any, where: str, on_text: Callable[[str], Any], on_image: Callable[[str, str], Any], provider: str
) -> list[Any]:
    """Translate user/assistant content parts with the target's text and image builders (empty text dropped)."""
    if isinstance(content, str):
        return [on_text(content)] if content.strip() else []
    blocks = []
    for n, part in enumerate(content or []):
        part_where = f"{where}[{n}]"
        kind = part.get("type")
        if kind in ("text", "refusal"):
            text = str(part.get(kind) or "")
            if text.strip():
                blocks.append(on_text(text))
        elif kind == "image_url":
            blocks.append(on_image(image_url_of(part, part_where), part_where))
        else:
            raise unsupported_part(part, part_where, provider)
    return blocks
