"""Invariants every optimization result must satisfy, shared by the corpus and the property tests."""

from __future__ import annotations

from typing import Any

from killtoken_proxy.gateway.optimize.blocks import code_blocks
from killtoken_proxy.gateway.optimize.messages import texts

Message = dict[str, Any]


def last_user(messages: list[Message]) -> Message | None:
    return next((m for m in reversed(messages) if m.get("role") == "user"), None)


def assert_last_user_untouched(before: list[Message], after: list[Message]) -> None:
    assert last_user(after) == last_user(before)


def _codes(message: Message) -> list[list[str]]:
    return [code_blocks(text) for text in texts(message)]


def assert_code_untouched(before: list[Message], after: list[Message]) -> None:
    """Optimizers only rewrite or drop messages, in order: each output message lines up with an input message
    of the same role and tool call, and has exactly its code blocks."""
    position = 0
    for message in after:
        while position < len(before) and not (
            before[position].get("role") == message.get("role")
            and before[position].get("tool_call_id") == message.get("tool_call_id")
            and _codes(before[position]) == _codes(message)
        ):
            position += 1
        assert position < len(before), f"no input message has the code blocks of {message!r}"
        position += 1


def assert_valid_conversation(after: list[Message]) -> None:
    """What providers check: no empty text, every tool result answers an earlier tool call."""
    calls: set[str] = set()
    for message in after:
        for text in texts(message):
            assert text.strip(), f"empty text in {message!r}"
        for call in message.get("tool_calls") or []:
            calls.add(call["id"])
        if message.get("role") == "tool":
            assert message["tool_call_id"] in calls, f"orphan tool result {message['tool_call_id']}"


def assert_invariants(before: list[Message], after: list[Message]) -> None:
    assert_last_user_untouched(before, after)
    assert_code_untouched(before, after)
    assert_valid_conversation(after)
