"""Benchmark (not a test): what the Anthropic door costs per request, against the OpenAI door's translation.

    .venv/bin/python bench/anthropic_door.py

Times, per call and in-process (no HTTP): parsing the body, building the upstream request, reading the
answer and rendering the response, for the same conversation sent Anthropic-native through the Anthropic
door and OpenAI-style through the OpenAI door to provider `anthropic`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from killtoken_proxy.gateway.anthropic_door import parse_anthropic, render_anthropic
from killtoken_proxy.gateway.doors import parse_openai, render_openai
from killtoken_proxy.providers.anthropic import AnthropicAdapter
from killtoken_proxy.providers.base import Credential

CREDENTIAL = Credential("cred_b", "anthropic", {"apiKey": "sk-ant-bench"}, {"baseUrl": "http://127.0.0.1:1"})
TURNS = [
    {"role": "user" if i % 2 == 0 else "assistant", "content": f"Turn {i}: " + "some words here " * 30}
    for i in range(9)
]
NATIVE = {"model": "claude-sonnet-4-5", "max_tokens": 300, "system": "You are terse. " * 40, "messages": TURNS}
OPENAI = {
    "model": "claude-sonnet-4-5",
    "max_tokens": 300,
    "messages": [{"role": "system", "content": NATIVE["system"]}, *TURNS],
}
ANSWER = {
    "id": "msg_01",
    "type": "message",
    "role": "assistant",
    "model": "claude-sonnet-4-5-20250929",
    "content": [{"type": "text", "text": "word " * 300}],
    "stop_reason": "end_turn",
    "stop_sequence": None,
    "usage": {"input_tokens": 900, "output_tokens": 300},
}
METRICS: dict[str, Any] = {"requestId": "req_x"}


def per_call_us(fn: Callable[[], object], rounds: int = 20000) -> float:
    started = time.perf_counter()
    for _ in range(rounds):
        fn()
    return (time.perf_counter() - started) / rounds * 1e6


def door_round_trip(
    parse: Callable[..., Any], render: Callable[..., Any], body: dict[str, Any]
) -> Callable[[], object]:
    adapter = AnthropicAdapter()

    def run() -> object:
        request = parse(body, {})
        adapter.to_request(request, CREDENTIAL)
        return render(adapter.from_response(request, ANSWER).body, METRICS)

    return run


def main() -> None:
    native = per_call_us(door_round_trip(parse_anthropic, render_anthropic, NATIVE))
    translated = per_call_us(door_round_trip(parse_openai, render_openai, OPENAI))
    print(f"Anthropic door, ~5 KB body, parse + upstream request + answer + render: {native:.1f} us")
    print(f"OpenAI door to anthropic, same conversation translated both ways:    {translated:.1f} us")


if __name__ == "__main__":
    main()
