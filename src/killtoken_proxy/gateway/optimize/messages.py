"""Read and rewrite the text of chat messages without mutating them, and count their tokens.

Messages come in OpenAI's shape (tool results as `role: "tool"` messages) or, from the Anthropic door,
in Anthropic's (tool results as `tool_result` blocks of a user message, tool calls as `tool_use` blocks).
Both are understood here, so that the optimizers treat a tool result as a tool result whatever its shape.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from killtoken_proxy.gateway.optimize.blocks import code_blocks

Message = dict[str, Any]
INSTRUCTION_ROLES = ("system", "developer")
TOOL_ROLES = ("tool", "function")
# OpenAI's documented chat overhead: every message costs ~3 tokens of framing, every reply 3 more.
MESSAGE_OVERHEAD = 3
REPLY_OVERHEAD = 3


def _is_text_part(part: Any) -> bool:
    return isinstance(part, dict) and part.get("type") == "text" and isinstance(part.get("text"), str)


def _is_tool_result_part(part: Any) -> bool:
    return isinstance(part, dict) and part.get("type") == "tool_result"


def has_tool_results(message: Message) -> bool:
    """An Anthropic user message carrying `tool_result` blocks (alone, or before the user's own text)."""
    content = message.get("content")
    return message.get("role") == "user" and isinstance(content, list) and any(map(_is_tool_result_part, content))


def without_tool_results(message: Message) -> Message:
    """The message minus its tool results: what stays of it once the tool calls they answer are dropped."""
    return {**message, "content": [p for p in message["content"] if not _is_tool_result_part(p)]}


def is_tool_output(message: Message) -> bool:
    """A tool's answer: OpenAI's `tool`/`function` message, or an Anthropic user message of only tool results."""
    if message.get("role") in TOOL_ROLES:
        return True
    content = message.get("content")
    if message.get("role") != "user" or not isinstance(content, list):
        return False
    asks = any(_is_text_part(p) and p["text"].strip() for p in content)  # text beside results is a question
    return not asks and any(_is_tool_result_part(p) for p in content)


def starts_turn(message: Message) -> bool:
    """A user speaking, as opposed to a tool answering on the user's side of an Anthropic conversation
    (a message with results and text does both: it starts a turn, and its results belong to the last one)."""
    return message.get("role") == "user" and not is_tool_output(message)


def last_user_index(messages: list[Message]) -> int | None:
    return next((i for i in range(len(messages) - 1, -1, -1) if starts_turn(messages[i])), None)


def _part_texts(part: Any) -> list[str]:
    if _is_text_part(part):
        return [part["text"]]
    if _is_tool_result_part(part):
        inner = part.get("content")
        if isinstance(inner, str):
            return [inner]
        if isinstance(inner, list):
            return [p["text"] for p in inner if _is_text_part(p)]
    return []


def texts(message: Message) -> list[str]:
    """The message's text: its string content, or the text of each text part and of each tool result."""
    content = message.get("content")
    if isinstance(content, str):
        return [content]
    if isinstance(content, list):
        return [text for part in content for text in _part_texts(part)]
    return []


def text_of(message: Message) -> str:
    return "\n\n".join(texts(message))


def map_text(message: Message, change: Callable[[str], str]) -> Message:
    """A copy of `message` with each text rewritten; the same object when nothing changed.

    A rewrite that would empty a text (providers reject empty messages) or alter any of its code blocks
    is not taken: code is never touched, whatever an optimizer does.
    """

    def rewrite(text: str) -> str:
        new = change(text)
        return new if new.strip() and code_blocks(new) == code_blocks(text) else text

    content = message.get("content")
    if isinstance(content, str):
        new = rewrite(content)
        return message if new == content else {**message, "content": new}
    if isinstance(content, list):
        parts = _map_parts(content, rewrite)
        return message if parts is content else {**message, "content": parts}
    return message


def _map_parts(parts: list[Any], rewrite: Callable[[str], str]) -> list[Any]:
    """The parts with each text (tool results' included) rewritten; the same list when nothing changed."""
    out: list[Any] = []
    for part in parts:
        if _is_text_part(part):
            text = rewrite(part["text"])
            out.append(part if text == part["text"] else {**part, "text": text})
        elif _is_tool_result_part(part) and isinstance(part.get("content"), str):
            text = rewrite(part["content"])
            out.append(part if text == part["content"] else {**part, "content": text})
        elif _is_tool_result_part(part) and isinstance(part.get("content"), list):
            inner = _map_parts(part["content"], rewrite)
            out.append(part if inner is part["content"] else {**part, "content": inner})
        else:
            out.append(part)
    return parts if all(a is b for a, b in zip(out, parts, strict=True)) else out


def message_tokens(message: Message, count: Callable[[str], int]) -> int:
    tokens = MESSAGE_OVERHEAD + count(str(message.get("role", "")))
    tokens += sum(count(text) for text in texts(message))
    for key in ("name", "tool_call_id"):
        if isinstance(message.get(key), str):
            tokens += count(message[key]) + 1
    for key in ("tool_calls", "function_call"):
        if message.get(key):
            tokens += count(_compact(message[key]))
    if isinstance(content := message.get("content"), list):
        for part in content:
            if isinstance(part, dict) and part.get("type") == "tool_use":  # Anthropic's tool call
                tokens += count(str(part.get("name", ""))) + count(_compact(part.get("input", {})))
            elif _is_tool_result_part(part) and isinstance(part.get("tool_use_id"), str):
                tokens += count(part["tool_use_id"]) + 1
    return tokens


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def prompt_tokens(messages: list[Message], count: Callable[[str], int]) -> int:
    return sum(message_tokens(m, count) for m in messages) + REPLY_OVERHEAD
