"""Building the OpenAI `chat.completion` answer (and its usage block) from a translated provider response."""

from __future__ import annotations

import functools
import json
import time
import uuid
from collections.abc import Callable
from typing import Any

from killtoken_proxy.providers.base import Usage

FINISH_REASONS = ("stop", "length", "tool_calls", "content_filter", "function_call")


def new_tool_call_id() -> str:
    return f"call_{uuid.uuid4().hex[:24]}"


def count(value: Any) -> int:
    """A token count from a provider body: absent (None) is 0; a non-negative integer (also as digits or a
    whole float); anything else raises ValueError (see `usage_reader`), never a silent 0 that would under-bill."""
    if value is None:
        return 0
    if isinstance(value, str) and value.isdigit():
        return int(value)
    if isinstance(value, float) and value.is_integer() and value >= 0:
        return int(value)
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    raise ValueError(f"a token count of {value!r}")


def usage_reader(read: Callable[[Any], Usage]) -> Callable[[Any], Usage]:
    """A usage block whose counts are not token counts is treated as no usage at all: the paid-for answer
    is still delivered, and its cost is recorded as unpriced (`usageReported: false`), never as $0."""

    @functools.wraps(read)
    def reader(usage: Any) -> Usage:
        try:
            return read(usage)
        except ValueError:
            return Usage(raw=usage if isinstance(usage, dict) else {}, reported=False)

    return reader


def tool_call(call_id: str, name: str, arguments: Any) -> dict[str, Any]:
    """An OpenAI-shaped tool call; arguments are always a JSON string, as OpenAI clients expect."""
    text = arguments if isinstance(arguments, str) else json.dumps(arguments if arguments is not None else {})
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": text}}


def openai_usage(usage: Usage) -> dict[str, Any]:
    return {
        "prompt_tokens": usage.input_tokens,
        "completion_tokens": usage.output_tokens,
        "total_tokens": usage.total_tokens,
        "prompt_tokens_details": {
            "cached_tokens": usage.cached_input_tokens,
            "cache_write_tokens": usage.cache_write_tokens,
        },
        "completion_tokens_details": {"reasoning_tokens": usage.reasoning_tokens},
    }


def choice(index: int, text: str | None, tool_calls: list[dict[str, Any]], finish_reason: str) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": text, "refusal": None}
    if tool_calls:
        message["tool_calls"] = tool_calls
    return {"index": index, "message": message, "logprobs": None, "finish_reason": finish_reason}


def chat_completion(
    *, response_id: str | None, model: str, choices: list[dict[str, Any]], usage: Usage
) -> dict[str, Any]:
    return {
        "id": response_id or f"chatcmpl-{uuid.uuid4().hex}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": choices,
        "usage": openai_usage(usage),
    }
