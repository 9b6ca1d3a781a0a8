"""The Anthropic door driven by the official `anthropic` Python SDK (sync and async) against a fake
Anthropic upstream: what reaches Anthropic is what the client sent, minus KillToken's own fields, and what
comes back is Anthropic's own Message plus `killtoken.metrics`."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest

import anthropic
from tests.anthropic.conftest import HELLO, async_sdk, create_kwargs, metrics_of, sdk
from tests.conftest import PROVIDER_SECRET, LiveGateway
from tests.fakes.anthropic_server import FakeAnthropic, Reply, message
from tests.provider_cases import PNG

WEATHER = {
    "name": "get_weather",
    "description": "Weather by city",
    "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}
# Everything a Messages body can carry that the fake Anthropic knows, in Anthropic's own shapes.
FULL_BODY: dict[str, Any] = {
    "model": "claude-sonnet-4-5",
    "max_tokens": 512,
    "system": [{"type": "text", "text": "You are terse.", "cache_control": {"type": "ephemeral"}}],
    "messages": [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "What is in these pictures, and how is the weather in Paris?"},
                {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG}},
                {"type": "image", "source": {"type": "url", "url": "https://example.com/cat.jpg"}},
            ],
        },
        {
            "role": "assistant",
            "content": [
                {"type": "thinking", "thinking": "The user wants the weather.", "signature": "c2lnbmF0dXJl"},
                {"type": "tool_use", "id": "toolu_01", "name": "get_weather", "input": {"city": "Paris"}},
            ],
        },
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": "toolu_01", "content": [{"type": "text", "text": "sunny"}]},
                {"type": "text", "text": "Thanks!", "cache_control": {"type": "ephemeral", "ttl": "1h"}},
            ],
        },
    ],
    "tools": [WEATHER, {"type": "web_search_20250305", "name": "web_search", "max_uses": 2}],
    "tool_choice": {"type": "auto", "disable_parallel_tool_use": True},
    "stop_sequences": ["\n\nHuman:", "END"],
    "temperature": 0.3,
    "top_p": 0.9,
    "top_k": 40,
    "metadata": {"user_id": "user-42"},
    "service_tier": "standard_only",
    "inference_geo": "us",
}
# Anthropic's answer with blocks an OpenAI chat.completion cannot hold (thinking, citations, server tools).
RICH_ANSWER: dict[str, Any] = {
    "id": "msg_01Rich",
    "type": "message",
    "role": "assistant",
    "model": "claude-sonnet-4-5-20250929",
    "content": [
        {"type": "thinking", "thinking": "Check the weather first.", "signature": "c2ln"},
        {
            "type": "text",
            "text": "A cat. ",
            "citations": [{"type": "web_search_result_location", "url": "https://example.com", "title": "Cats"}],
        },
        {"type": "text", "text": "Checking Paris."},
        {"type": "tool_use", "id": "toolu_02", "name": "get_weather", "input": {"city": "Paris"}},
    ],
    "stop_reason": "tool_use",
    "stop_sequence": None,
    "container": None,
    "usage": {
        "input_tokens": 100,
        "output_tokens": 40,
        "cache_creation_input_tokens": 20,
        "cache_read_input_tokens": 300,
        "cache_creation": {"ephemeral_5m_input_tokens": 20, "ephemeral_1h_input_tokens": 0},
        "server_tool_use": {"web_search_requests": 1},
        "service_tier": "standard",
    },
}


def _without_killtoken(document: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in document.items() if k != "killtoken"}


def test_sdk_call_answers_in_anthropic_shape_with_metrics_and_request_id(
    claude_gateway: LiveGateway, fake_anthropic: FakeAnthropic
):
    client = sdk(claude_gateway, default_headers={"x-killtoken-feature": "support-bot"})
    raw = client.messages.with_raw_response.create(
        model="claude-sonnet-4-5", max_tokens=64, system="Answer in one word.", messages=HELLO
    )
    reply = raw.parse()
    assert reply.content[0].text == "Paris." and reply.type == "message" and reply.role == "assistant"
    assert (reply.stop_reason, reply.stop_sequence, reply.usage.input_tokens) == ("end_turn", None, 18)
    metrics = metrics_of(reply)
    assert metrics["provider"] == "anthropic" and metrics["feature"] == "support-bot"
    assert (metrics["promptTokens"], metrics["completionTokens"]) == (18, 5) and metrics["costUsd"]
    # The SDK's own request id is KillToken's, so `message._request_id` names the ledger record.
    assert reply._request_id == raw.headers["x-killtoken-request-id"] == metrics["requestId"]
    assert json.loads(raw.headers["x-killtoken-metrics"]) == metrics
    sent = fake_anthropic.received[-1]
    assert sent.body == {
        "model": "claude-sonnet-4-5",
        "max_tokens": 64,
        "system": "Answer in one word.",
        "messages": HELLO,
    }
    assert sent.headers["x-api-key"] == PROVIDER_SECRET
    assert sent.headers["anthropic-version"] == raw.http_request.headers["anthropic-version"]
    assert not [h for h in sent.headers if h.startswith(("x-stainless", "x-killtoken", "authorization"))]
    assert claude_gateway.key not in str(sent.headers)
    with claude_gateway.client() as http:
        record = http.get(f"/v1/requests/{metrics['requestId']}").json()
    assert (record["door"], record["provider"], record["status"]) == ("anthropic", "anthropic", 200)


def test_the_body_reaches_anthropic_as_sent_minus_killtoken_fields(
    claude_gateway: LiveGateway, fake_anthropic: FakeAnthropic
):
    body = {**FULL_BODY, "metadata": {"user_id": "user-42", "feature": "vision-bot"}}
    ours = {
        "optimizationMode": "safe",
        "cachePolicy": {"exactCache": "write_only"},
        "idempotencyKey": "k-1",
        "provider": "anthropic",
        "stream": False,
    }
    kwargs = create_kwargs(body)
    kwargs["extra_body"] = {**kwargs.get("extra_body", {}), **ours}
    reply = sdk(claude_gateway).messages.create(**kwargs)
    assert fake_anthropic.problems == []
    # Images, thinking, tool_use/tool_result, cache_control, server tools, top_k, stop_sequences: all intact.
    assert fake_anthropic.received[-1].body == FULL_BODY
    metrics = metrics_of(reply)
    assert (metrics["feature"], metrics["optimizationMode"], metrics["cacheStatus"]) == ("vision-bot", "safe", "write")


def test_the_answer_is_anthropics_own_message_block_for_block(
    claude_gateway: LiveGateway, fake_anthropic: FakeAnthropic
):
    fake_anthropic.replies.append(Reply(200, RICH_ANSWER))
    raw = sdk(claude_gateway).messages.with_raw_response.create(**create_kwargs(FULL_BODY))
    assert _without_killtoken(raw.http_response.json()) == RICH_ANSWER
    reply = raw.parse()
    assert [block.type for block in reply.content] == ["thinking", "text", "text", "tool_use"]
    assert reply.content[3].input == {"city": "Paris"} and reply.stop_reason == "tool_use"
    metrics = metrics_of(reply)
    # Anthropic's input_tokens exclude cache reads and writes; KillToken's prompt count includes both.
    assert (metrics["promptTokens"], metrics["cachedPromptTokens"], metrics["cacheWriteTokens"]) == (420, 300, 20)


@pytest.mark.parametrize(
    "system",
    [None, "Be brief.", [{"type": "text", "text": "Be brief."}, {"type": "text", "text": "Be kind."}]],
    ids=["none", "string", "blocks"],
)
def test_system_prompt_reaches_anthropic_as_written(
    claude_gateway: LiveGateway, fake_anthropic: FakeAnthropic, system: Any
):
    extra = {} if system is None else {"system": system}
    sdk(claude_gateway).messages.create(model="claude-haiku-4-5", max_tokens=32, messages=HELLO, **extra)
    sent = fake_anthropic.received[-1].body
    assert sent.get("system") == system and sent["messages"] == HELLO


def test_anthropic_tools_work_and_the_tool_use_comes_back(claude_gateway: LiveGateway, fake_anthropic: FakeAnthropic):
    use = {"id": "toolu_9", "name": "get_weather", "input": {"city": "Lyon"}}
    fake_anthropic.replies.append(Reply(200, message(None, tool_use=use, stop_reason="tool_use")))
    reply = sdk(claude_gateway).messages.create(
        model="claude-sonnet-4-5",
        max_tokens=256,
        messages=[{"role": "user", "content": "Weather in Lyon?"}],
        tools=[WEATHER],
        tool_choice={"type": "tool", "name": "get_weather"},
    )
    assert reply.stop_reason == "tool_use"
    assert (reply.content[0].type, reply.content[0].id, reply.content[0].input) == ("tool_use", "toolu_9", use["input"])
    sent = fake_anthropic.received[-1].body
    assert sent["tools"] == [WEATHER] and sent["tool_choice"] == {"type": "tool", "name": "get_weather"}


def test_beta_calls_forward_the_beta_header_and_its_fields(claude_gateway: LiveGateway, fake_anthropic: FakeAnthropic):
    management = {"edits": [{"type": "clear_tool_uses_20250919"}]}
    reply = sdk(claude_gateway).beta.messages.create(
        model="claude-sonnet-4-5",
        max_tokens=64,
        messages=HELLO,
        betas=["context-management-2025-06-27"],
        context_management=management,
    )
    assert reply.content[0].text == "Paris." and fake_anthropic.problems == []
    sent = fake_anthropic.received[-1]
    assert sent.headers["anthropic-beta"] == "context-management-2025-06-27"
    assert sent.body["context_management"] == management


def test_replays_and_cache_hits_answer_in_anthropic_shape(claude_gateway: LiveGateway, fake_anthropic: FakeAnthropic):
    fake_anthropic.replies.append(Reply(200, RICH_ANSWER))
    client = sdk(claude_gateway)
    kwargs = create_kwargs(FULL_BODY)
    kwargs["extra_body"] = {**kwargs.get("extra_body", {}), "cachePolicy": {"exactCache": "read_write"}}
    first = client.messages.with_raw_response.create(**kwargs)
    hit = client.messages.with_raw_response.create(**kwargs)
    assert _without_killtoken(hit.http_response.json()) == RICH_ANSWER
    assert metrics_of(hit.parse())["cacheStatus"] == "hit"
    assert metrics_of(hit.parse())["verifiedSavingsUsd"] == metrics_of(first.parse())["costUsd"]

    key = {"x-killtoken-idempotency-key": "order-7"}
    original = client.messages.create(model="claude-haiku-4-5", max_tokens=16, messages=HELLO, extra_headers=key)
    replay = client.messages.create(model="claude-haiku-4-5", max_tokens=16, messages=HELLO, extra_headers=key)
    assert replay.content[0].text == original.content[0].text and replay.id == original.id
    assert metrics_of(replay)["replay"] is True
    assert metrics_of(replay)["originalRequestId"] == metrics_of(original)["requestId"]
    assert len(fake_anthropic.received) == 2


def test_option_headers_work_and_the_body_wins(claude_gateway: LiveGateway, fake_anthropic: FakeAnthropic):
    client = sdk(
        claude_gateway,
        default_headers={"x-killtoken-feature": "from-header", "x-killtoken-optimization-mode": "balanced"},
    )
    by_header = client.messages.create(model="claude-haiku-4-5", max_tokens=16, messages=HELLO)
    assert (metrics_of(by_header)["feature"], metrics_of(by_header)["optimizationMode"]) == ("from-header", "balanced")
    by_body = client.messages.create(
        model="claude-haiku-4-5",
        max_tokens=16,
        messages=HELLO,
        metadata={"user_id": "u-1", "feature": "from-body"},
        extra_body={"optimizationMode": "measure_only"},
    )
    assert (metrics_of(by_body)["feature"], metrics_of(by_body)["optimizationMode"]) == ("from-body", "measure_only")
    assert fake_anthropic.received[-1].body["metadata"] == {"user_id": "u-1"}


def test_provider_429_is_a_rate_limit_error_after_the_sdks_retries(
    claude_gateway: LiveGateway, fake_anthropic: FakeAnthropic
):
    body = {"type": "error", "error": {"type": "rate_limit_error", "message": "Number of requests exceeded"}}
    fake_anthropic.replies.extend(Reply(429, body, {"retry-after-ms": "10"}) for _ in range(3))
    with pytest.raises(anthropic.RateLimitError) as error:
        sdk(claude_gateway, max_retries=2).messages.create(model="claude-haiku-4-5", max_tokens=16, messages=HELLO)
    assert error.value.status_code == 429 and error.value.error_code == "upstream_rate_limited"
    assert error.value.type == "rate_limit_error" and "Number of requests exceeded" in error.value.message
    assert error.value.request_id is not None and error.value.request_id.startswith("req_")
    # Each of the SDK's tries (1 + 2 retries) reached the provider once; none became a 5xx.
    assert len(fake_anthropic.received) == 3


def test_provider_overload_is_the_sdks_overloaded_error(claude_gateway: LiveGateway, fake_anthropic: FakeAnthropic):
    body = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
    fake_anthropic.replies.append(Reply(529, body))
    with pytest.raises(anthropic.OverloadedError) as error:
        sdk(claude_gateway).messages.create(model="claude-haiku-4-5", max_tokens=16, messages=HELLO)
    assert (error.value.status_code, error.value.error_code) == (529, "upstream_overloaded")


def test_async_sdk_gets_the_same_answers_and_errors(claude_gateway: LiveGateway, fake_anthropic: FakeAnthropic):
    asyncio.run(_async_calls(claude_gateway, fake_anthropic))


async def _async_calls(gateway: LiveGateway, fake: FakeAnthropic) -> None:
    client = async_sdk(gateway, default_headers={"x-killtoken-feature": "async-feature"})
    raw = await client.messages.with_raw_response.create(
        model="claude-sonnet-4-5", max_tokens=64, system="Answer in one word.", messages=HELLO
    )
    reply = await raw.parse()  # the async client's raw response parses asynchronously
    assert reply.content[0].text == "Paris." and reply._request_id == metrics_of(reply)["requestId"]
    assert metrics_of(reply)["feature"] == "async-feature"
    assert fake.received[-1].body["system"] == "Answer in one word."
    fake.replies.append(Reply(429, {"type": "error", "error": {"type": "rate_limit_error", "message": "slow down"}}))
    with pytest.raises(anthropic.RateLimitError) as limited:
        await client.messages.create(model="claude-sonnet-4-5", max_tokens=64, messages=HELLO)
    assert limited.value.error_code == "upstream_rate_limited"
    with pytest.raises(anthropic.AuthenticationError) as unauthenticated:
        await async_sdk(gateway, api_key="kt_nope").messages.create(
            model="claude-sonnet-4-5", max_tokens=64, messages=HELLO
        )
    assert unauthenticated.value.error_code == "tenant_not_resolved"
    with pytest.raises(anthropic.UnprocessableEntityError) as streaming:
        await client.messages.create(model="claude-sonnet-4-5", max_tokens=64, messages=HELLO, stream=True)
    assert streaming.value.error_code == "streaming_not_supported"
    await client.close()


def test_model_list_and_retrieve(claude_gateway: LiveGateway):
    client = sdk(claude_gateway)
    ids = [model.id for model in client.models.list()]
    assert "claude-sonnet-4-5" in ids and all(i.startswith("claude-") for i in ids)
    assert client.models.retrieve("claude-sonnet-4-5").type == "model"
    with pytest.raises(anthropic.NotFoundError) as error:
        client.models.retrieve("gpt-4.1-mini")
    assert error.value.error_code == "model_not_found"
    assert "claude-house-finetune" not in ids
    client.messages.create(model="claude-house-finetune", max_tokens=64, messages=HELLO)
    deadline = time.monotonic() + 10  # the ledger learns the call behind the request
    while "claude-house-finetune" not in (ids := [model.id for model in client.models.list()]):
        assert time.monotonic() < deadline, ids
        time.sleep(0.05)
    assert ids[0] == "claude-house-finetune", "models already called come first"
    assert client.models.retrieve("claude-house-finetune").id == "claude-house-finetune"
