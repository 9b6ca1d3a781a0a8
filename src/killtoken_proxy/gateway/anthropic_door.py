"""The Anthropic door's dialect: a Messages body in, sent to provider `anthropic` as the client wrote it
(KillToken's own fields taken out), and Anthropic's Message out. OpenAI-style tool payloads are refused
here: this door speaks Anthropic's tool format (the OpenAI door translates OpenAI's)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from killtoken_proxy.errors import InvalidRequest
from killtoken_proxy.gateway.chat_request import ChatRequest
from killtoken_proxy.gateway.doors import KILLTOKEN_FIELDS, Door, common_fields, provider_metadata
from killtoken_proxy.gateway.routing import PROVIDER_HEADER
from killtoken_proxy.providers.anthropic_format import NATIVE_MESSAGE

PROVIDER = "anthropic"
# The only client headers that reach Anthropic: they say how the body is to be read.
FORWARDED_HEADERS = ("anthropic-version", "anthropic-beta")
ROLES = ("user", "assistant", "system")
OPENAI_TOOL_FIELDS = ("functions", "function_call", "parallel_tool_calls")
OPENAI_TOOL_MESSAGE_KEYS = ("tool_calls", "function_call", "tool_call_id")
_ANTHROPIC_TOOLS = (
    "This door takes Anthropic's tool format: tools as {name, description, input_schema} (or Anthropic's "
    'server tools), tool_choice as {"type": "auto" | "any" | "tool" | "none"}, tool calls as tool_use blocks '
    "and results as tool_result blocks in a user message. OpenAI-format requests go to /v1/openai/chat/completions."
)
_STOP_REASONS = {
    "stop": "end_turn",
    "length": "max_tokens",
    "tool_calls": "tool_use",
    "function_call": "tool_use",
    "content_filter": "refusal",
}


def _require_anthropic(body: dict[str, Any], headers: Mapping[str, str]) -> None:
    for value, source in ((body.get("provider"), "`provider`"), (headers.get(PROVIDER_HEADER), PROVIDER_HEADER)):
        if value is not None and (not isinstance(value, str) or value.strip() not in ("", PROVIDER)):
            raise InvalidRequest(
                f"{source} is {value!r}, but the Anthropic door always calls provider `anthropic`; "
                "use /v1/chat or /v1/openai/chat/completions for other providers.",
                code="invalid_provider",
                param="provider",
            )


def _openai_tool(value: Any) -> bool:
    return isinstance(value, dict) and (value.get("type") == "function" or "function" in value)


def _refuse_openai_tools(body: dict[str, Any]) -> None:
    tools = body.get("tools")
    for n, tool in enumerate(tools if isinstance(tools, list) else []):
        if _openai_tool(tool):
            raise InvalidRequest(
                f"`tools[{n}]` is an OpenAI-style function tool. {_ANTHROPIC_TOOLS}", param=f"tools[{n}]"
            )
    choice = body.get("tool_choice")
    if isinstance(choice, str) or _openai_tool(choice):
        raise InvalidRequest(f"`tool_choice` {choice!r} is OpenAI-style. {_ANTHROPIC_TOOLS}", param="tool_choice")
    for name in OPENAI_TOOL_FIELDS:
        if name in body:
            raise InvalidRequest(f"`{name}` is an OpenAI tool field. {_ANTHROPIC_TOOLS}", param=name)


def _check_turns(messages: Any) -> None:
    """Roles and OpenAI-style tool turns, before the shared checks (whose role list is OpenAI's)."""
    for index, message in enumerate(messages if isinstance(messages, list) else []):
        if not isinstance(message, dict):
            continue
        where, role = f"messages[{index}]", message.get("role")
        if role in ("tool", "function") or any(key in message for key in OPENAI_TOOL_MESSAGE_KEYS):
            raise InvalidRequest(
                f"`{where}` is an OpenAI-style tool turn (role `tool`/`function`, `tool_calls` or `tool_call_id`). "
                + _ANTHROPIC_TOOLS,
                code="invalid_messages",
                param=where,
            )
        if role not in ROLES:
            raise InvalidRequest(
                f"`{where}.role` must be user or assistant (or system); got {role!r}.",
                code="invalid_messages",
                param=f"{where}.role",
            )


def _checked_system(system: Any) -> str | list[dict[str, Any]]:
    if isinstance(system, str):
        return system
    if isinstance(system, list) and all(
        isinstance(block, dict) and block.get("type") == "text" and isinstance(block.get("text"), str)
        for block in system
    ):
        return system
    raise InvalidRequest(
        "`system` must be a string or an array of text blocks ({type: text, text, cache_control?}).",
        code="invalid_messages",
        param="system",
    )


def parse_anthropic(body: dict[str, Any], headers: Mapping[str, str]) -> ChatRequest:
    """Everything but KillToken's fields goes upstream as sent (unknown keys too: Anthropic judges them);
    the top-level `system` becomes the leading system message, and goes back to `system` on the way out."""
    _require_anthropic(body, headers)
    _refuse_openai_tools(body)
    _check_turns(body.get("messages"))
    fields = common_fields(body, headers)
    if body.get("system") is not None:
        fields["messages"] = [{"role": "system", "content": _checked_system(body["system"])}, *fields["messages"]]
    params = {k: v for k, v in body.items() if k not in KILLTOKEN_FIELDS and k not in ("model", "messages", "system")}
    if (metadata := provider_metadata(body)) is not None:
        params["metadata"] = metadata  # `user_id` stays; our `feature` tag does not travel
    forwarded = {name: value for name in FORWARDED_HEADERS if (value := headers.get(name))}
    return ChatRequest(provider=PROVIDER, params=params, wire="anthropic", provider_headers=forwarded, **fields)


def _tool_input(arguments: Any) -> Any:
    try:
        return json.loads(arguments) if isinstance(arguments, str) else (arguments or {})
    except ValueError:
        return {}


def message_from_completion(body: dict[str, Any]) -> dict[str, Any]:
    """An OpenAI chat.completion as an Anthropic Message, for a stored answer that has no Anthropic original."""
    choices = body.get("choices") or [{}]
    choice = choices[0] if isinstance(choices[0], dict) else {}
    message = choice.get("message") or {}
    content: list[dict[str, Any]] = []
    if message.get("content"):
        content.append({"type": "text", "text": message["content"]})
    for call in message.get("tool_calls") or []:
        function = call.get("function") or {}
        content.append(
            {
                "type": "tool_use",
                "id": call.get("id"),
                "name": function.get("name"),
                "input": _tool_input(function.get("arguments")),
            }
        )
    usage = body.get("usage") or {}
    details = usage.get("prompt_tokens_details") or {}
    read, write = details.get("cached_tokens") or 0, details.get("cache_write_tokens") or 0
    return {
        "id": body.get("id"),
        "type": "message",
        "role": "assistant",
        "model": body.get("model"),
        "content": content,
        "stop_reason": _STOP_REASONS.get(str(choice.get("finish_reason")), "end_turn"),
        "stop_sequence": None,
        "usage": {
            "input_tokens": max((usage.get("prompt_tokens") or 0) - read - write, 0),
            "output_tokens": usage.get("completion_tokens") or 0,
            "cache_creation_input_tokens": write,
            "cache_read_input_tokens": read,
        },
    }


def render_anthropic(body: dict[str, Any], metrics: dict[str, Any]) -> dict[str, Any]:
    """Anthropic's own Message (also for a cache hit or a replay), plus `killtoken.metrics`."""
    native = body.get(NATIVE_MESSAGE)
    message = native if isinstance(native, dict) else message_from_completion(body)
    return {**message, "killtoken": {"metrics": metrics}}


ANTHROPIC = Door("anthropic", parse_anthropic, render_anthropic, accepts_x_api_key=True)
