"""Read and rewrite the text of chat messages without mutating them, and count their tokens."""

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


def last_user_index(messages: list[Message]) -> int | None:
    return next((i for i in range(len(messages) - 1, -1, -1) if messages[i].get("role") == "user"), None)


def texts(message: Message) -> list[str]:
    """The message's text: its string content, or the `text` of each text part."""
    content = message.get("content")
    if isinstance(content, str):
        return [content]
    if isinstance(content, list):
        return [p["text"] for p in content if isinstance(p, dict) and p.get("type") == "text" and "text" in p]
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
        parts = [
            {**p, "text": rewrite(p["text"])} if isinstance(p, dict) and p.get("type") == "text" and "text" in p else p
            for p in content
        ]
        changed = any(a is not b and a != b for a, b in zip(parts, content, strict=True))
        return {**message, "content": parts} if changed else message
    return message


def message_tokens(message: Message, count: Callable[[str], int]) -> int:
    tokens = MESSAGE_OVERHEAD + count(str(message.get("role", "")))
    tokens += sum(count(text) for text in texts(message))
    for key in ("name", "tool_call_id"):
        if isinstance(message.get(key), str):
            tokens += count(message[key]) + 1
    for key in ("tool_calls", "function_call"):
        if message.get(key):
            tokens += count(json.dumps(message[key], separators=(",", ":"), ensure_ascii=False))
    return tokens


def prompt_tokens(messages: list[Message], count: Callable[[str], int]) -> int:
    return sum(message_tokens(m, count) for m in messages) + REPLY_OVERHEAD
