"""The Anthropic door's parse and render on their own: the round trip to the adapter's body, the cache key of a
native body, and the Message rendered from an OpenAI-shaped stored answer that has no Anthropic original."""

from __future__ import annotations

import json
from typing import Any

from killtoken_proxy.gateway.anthropic_door import message_from_completion, parse_anthropic, render_anthropic
from killtoken_proxy.gateway.cache_key import cache_key
from killtoken_proxy.gateway.doors import parse_openai
from killtoken_proxy.providers.anthropic import AnthropicAdapter
from killtoken_proxy.providers.base import Credential, Usage
from killtoken_proxy.providers.completion import chat_completion, choice, tool_call

CREDENTIAL = Credential("cred_a", "anthropic", {"apiKey": "sk-ant-x"}, {"baseUrl": "http://anthropic.test"})
BODY: dict[str, Any] = {
    "model": "claude-sonnet-4-5",
    "max_tokens": 64,
    "system": "Answer in one word.",
    "messages": [{"role": "user", "content": "Capital of France?"}],
}


def upstream_body(body: dict[str, Any], headers: dict[str, str] | None = None) -> tuple[dict[str, Any], dict[str, str]]:
    outgoing = AnthropicAdapter().to_request(parse_anthropic(body, headers or {}), CREDENTIAL)
    return json.loads(outgoing.body), outgoing.headers


def test_the_system_prompt_is_the_leading_system_message_inside_and_top_level_outside():
    request = parse_anthropic(BODY, {})
    assert request.messages[0] == {"role": "system", "content": "Answer in one word."}
    assert (request.provider, request.wire, request.params) == ("anthropic", "anthropic", {"max_tokens": 64})
    assert upstream_body(BODY)[0] == BODY


def test_a_system_turn_inside_messages_stays_where_the_client_put_it():
    messages = [
        *BODY["messages"],
        {"role": "assistant", "content": "Paris."},
        {"role": "system", "content": "Now in French."},
    ]
    assert upstream_body({**BODY, "messages": messages})[0] == {**BODY, "messages": messages}


def test_only_the_api_version_and_betas_reach_anthropic():
    headers = {
        "anthropic-version": "2026-10-21",
        "anthropic-beta": "context-management-2025-06-27",
        "anthropic-workspace-id": "wrkspc_1",
        "x-stainless-lang": "python",
    }
    _, sent = upstream_body(BODY, headers)
    assert sent["anthropic-version"] == "2026-10-21" and sent["anthropic-beta"] == "context-management-2025-06-27"
    assert sent["x-api-key"] == "sk-ant-x"
    assert not {"anthropic-workspace-id", "x-stainless-lang", "authorization"} & set(sent)
    assert upstream_body(BODY)[1]["anthropic-version"] == "2023-06-01"  # the gateway's own, when the client sent none


def test_a_native_body_never_shares_a_cache_key_with_the_openai_door():
    openai_style = parse_openai(
        {"model": "claude-sonnet-4-5", "max_tokens": 64, "messages": parse_anthropic(BODY, {}).messages}, {}
    )
    native = parse_anthropic(BODY, {})
    beta = parse_anthropic(BODY, {"anthropic-beta": "b-1"})
    keys = {cache_key("tn_1", "anthropic", r) for r in (openai_style, native, beta)}
    assert len(keys) == 3
    assert cache_key("tn_1", "anthropic", parse_anthropic(BODY, {"x-killtoken-feature": "f"})) == cache_key(
        "tn_1", "anthropic", native
    )


def test_a_stored_openai_answer_renders_as_an_anthropic_message():
    usage = Usage(input_tokens=120, cached_input_tokens=100, cache_write_tokens=5, output_tokens=9)
    body = chat_completion(
        response_id="msg_01",
        model="claude-sonnet-4-5",
        choices=[choice(0, "Checking.", [tool_call("toolu_1", "get_weather", {"city": "Paris"})], "tool_calls")],
        usage=usage,
    )
    assert message_from_completion(body) == {
        "id": "msg_01",
        "type": "message",
        "role": "assistant",
        "model": "claude-sonnet-4-5",
        "content": [
            {"type": "text", "text": "Checking."},
            {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Paris"}},
        ],
        "stop_reason": "tool_use",
        "stop_sequence": None,
        "usage": {
            "input_tokens": 15,
            "output_tokens": 9,
            "cache_creation_input_tokens": 5,
            "cache_read_input_tokens": 100,
        },
    }
    rendered = render_anthropic(body, {"requestId": "req_1"})
    assert (
        rendered["killtoken"] == {"metrics": {"requestId": "req_1"}} and rendered["content"][0]["text"] == "Checking."
    )
