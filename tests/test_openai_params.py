"""Table-driven: every optional field the official OpenAI SDK sends (reference sheet §4.2) reaches an
OpenAI-family upstream unchanged, through the real SDK; the same fields sent to Anthropic are each
translated, dropped or (only `n > 1`) refused, and never forwarded under a name Anthropic does not know."""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from typing import Any

import openai
import pytest

from tests.conftest import PROVIDER_SECRET, LiveGateway
from tests.fakes.anthropic_server import BODY_FIELDS, FakeAnthropic
from tests.fakes.openai_server import FakeOpenAI

HELLO = [{"role": "user", "content": "Capital of France?"}]
TOOL = {
    "type": "function",
    "function": {"name": "get_weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}},
}

OPENAI_OPTIONAL_FIELDS: dict[str, Any] = {
    "audio": {"voice": "alloy", "format": "wav"},
    "frequency_penalty": 0.5,
    "function_call": "auto",
    "functions": [{"name": "get_weather", "parameters": {"type": "object", "properties": {}}}],
    "logit_bias": {"50256": -100},
    "logprobs": True,
    "max_completion_tokens": 64,
    "max_tokens": 64,
    "metadata": {"team": "growth", "ticket": "T-1"},
    "modalities": ["text", "audio"],
    "moderation": {"model": "omni-moderation-latest", "policy": {"input": {"mode": "score"}}},
    "n": 2,
    "parallel_tool_calls": False,
    "prediction": {"type": "content", "content": "Paris"},
    "presence_penalty": -0.5,
    "prompt_cache_key": "tenant-42",
    "prompt_cache_options": {"mode": "explicit", "ttl": "30m"},
    "prompt_cache_retention": "24h",
    "reasoning_effort": "low",
    "response_format": {
        "type": "json_schema",
        "json_schema": {"name": "city", "schema": {"type": "object", "properties": {"name": {"type": "string"}}}},
    },
    "safety_identifier": "user-hash-1",
    "seed": 7,
    "service_tier": "flex",
    "stop": ["\n\n", "END"],
    "store": True,
    "stream_options": {"include_usage": True},
    "temperature": 0.2,
    "tool_choice": {"type": "function", "function": {"name": "get_weather"}},
    "tools": [TOOL],
    "top_logprobs": 3,
    "top_p": 0.9,
    "user": "user-1",
    "verbosity": "low",
    "web_search_options": {"search_context_size": "low"},
    # Not in this SDK version's signature: sent via extra_body, as users of newer or older fields do.
    "top_k": 40,
    "some_future_field": {"nested": [1, 2, 3]},
}


def _create_kwargs(fields: dict[str, Any]) -> dict[str, Any]:
    """Named SDK arguments where the installed SDK has them (so its own serialisation is exercised)."""
    named = inspect.signature(openai.resources.chat.completions.Completions.create).parameters
    kwargs = {k: v for k, v in fields.items() if k in named}
    extra = {k: v for k, v in fields.items() if k not in named}
    return {**kwargs, "extra_body": extra} if extra else kwargs


def test_the_table_covers_every_optional_field_of_the_installed_sdk():
    named = set(inspect.signature(openai.resources.chat.completions.Completions.create).parameters)
    not_body = {"self", "messages", "model", "stream", "extra_headers", "extra_query", "extra_body", "timeout"}
    assert named - not_body - set(OPENAI_OPTIONAL_FIELDS) == set()


def test_each_optional_field_reaches_the_upstream_unchanged(gateway: LiveGateway, fake_openai: FakeOpenAI):
    gateway.add_credential("openai", baseUrl=fake_openai.base_url)
    client = openai.OpenAI(base_url=f"{gateway.url}/v1/openai", api_key=gateway.key, max_retries=0)
    wrong: dict[str, Any] = {}
    for name, value in OPENAI_OPTIONAL_FIELDS.items():
        completion = client.chat.completions.create(
            model="gpt-4.1-mini", messages=HELLO, **_create_kwargs({name: value})
        )
        assert completion.choices[0].message.content == "Paris"
        sent = fake_openai.received[-1].body
        if sent.get(name) != value or set(sent) != {"model", "messages", name}:
            wrong[name] = sent
    assert wrong == {}


def test_all_fields_together_and_every_message_shape_pass_through(gateway: LiveGateway, fake_openai: FakeOpenAI):
    gateway.add_credential("openai", baseUrl=fake_openai.base_url)
    messages = [
        {"role": "developer", "content": "Answer briefly."},
        {"role": "system", "content": [{"type": "text", "text": "Be kind.", "prompt_cache_breakpoint": {}}]},
        {
            "role": "user",
            "name": "ana",
            "content": [
                {"type": "text", "text": "What is in these?"},
                {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo=", "detail": "low"}},
                {"type": "input_audio", "input_audio": {"data": "UklGRg==", "format": "wav"}},
                {"type": "file", "file": {"file_data": "data:application/pdf;base64,JVBERi0=", "filename": "a.pdf"}},
            ],
        },
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": "sunny"},
        {"role": "function", "name": "get_weather", "content": "sunny"},
        {"role": "assistant", "content": [{"type": "refusal", "refusal": "No."}]},
        {"role": "user", "content": "Thanks"},
    ]
    client = openai.OpenAI(base_url=f"{gateway.url}/v1/openai", api_key=gateway.key, max_retries=0)
    client.chat.completions.create(model="gpt-4.1-mini", messages=messages, **_create_kwargs(OPENAI_OPTIONAL_FIELDS))
    sent = fake_openai.received[-1].body
    assert sent == {"model": "gpt-4.1-mini", "messages": messages, **OPENAI_OPTIONAL_FIELDS}


# -- The Anthropic half -------------------------------------------------------------------------------
DROPPED: dict[str, Any] = {}  # nothing of the field reaches Anthropic
REFUSED = None  # 400 before any provider call
ANTHROPIC_TOOL = {"name": "get_weather", "input_schema": TOOL["function"]["parameters"]}
WITH_TOOLS = {"tools": [TOOL]}
ANTHROPIC_HELLO = [{"role": "user", "content": [{"type": "text", "text": HELLO[0]["content"]}]}]
# Field -> (what else the request carries, what the field becomes in the Messages body beyond model,
# messages and the default max_tokens).
ANTHROPIC_TRANSLATION: dict[str, tuple[dict[str, Any], dict[str, Any] | None]] = {
    "audio": ({}, DROPPED),
    "frequency_penalty": ({}, DROPPED),
    "function_call": ({}, DROPPED),
    "functions": ({}, DROPPED),
    "logit_bias": ({}, DROPPED),
    "logprobs": ({}, DROPPED),
    "max_completion_tokens": ({}, {"max_tokens": 64}),
    "max_tokens": ({}, {"max_tokens": 64}),
    "metadata": ({}, DROPPED),  # Anthropic's metadata holds only `user_id`
    "modalities": ({}, DROPPED),
    "moderation": ({}, DROPPED),
    "n": ({}, REFUSED),  # one answer per call: dropping it would silently change the answer count
    "parallel_tool_calls": (
        WITH_TOOLS,
        {"tools": [ANTHROPIC_TOOL], "tool_choice": {"type": "auto", "disable_parallel_tool_use": True}},
    ),
    "prediction": ({}, DROPPED),
    "presence_penalty": ({}, DROPPED),
    "prompt_cache_key": ({}, DROPPED),
    "prompt_cache_options": ({}, DROPPED),
    "prompt_cache_retention": ({}, DROPPED),
    "reasoning_effort": ({}, DROPPED),
    "response_format": (
        {},
        {
            "output_config": {
                "format": {
                    "type": "json_schema",
                    "schema": OPENAI_OPTIONAL_FIELDS["response_format"]["json_schema"]["schema"],
                }
            }
        },
    ),
    "safety_identifier": ({}, {"metadata": {"user_id": "user-hash-1"}}),
    "seed": ({}, DROPPED),
    "service_tier": ({}, DROPPED),  # OpenAI's tiers (flex, scale, ...) are not Anthropic's
    "stop": ({}, {"stop_sequences": ["\n\n", "END"]}),
    "store": ({}, DROPPED),
    "stream_options": ({}, DROPPED),
    "temperature": ({}, {"temperature": 0.2}),
    "tool_choice": (WITH_TOOLS, {"tools": [ANTHROPIC_TOOL], "tool_choice": {"type": "tool", "name": "get_weather"}}),
    "tools": ({}, {"tools": [ANTHROPIC_TOOL]}),
    "top_logprobs": ({}, DROPPED),
    "top_p": ({}, {"top_p": 0.9}),
    "user": ({}, {"metadata": {"user_id": "user-1"}}),
    "verbosity": ({}, DROPPED),
    "web_search_options": ({}, DROPPED),
    "top_k": ({}, {"top_k": 40}),
    "some_future_field": ({}, DROPPED),
}


@pytest.fixture
def fake_anthropic() -> Iterator[FakeAnthropic]:
    fake = FakeAnthropic(PROVIDER_SECRET).start()
    yield fake
    fake.stop()


def test_the_anthropic_table_covers_every_field():
    assert set(ANTHROPIC_TRANSLATION) == set(OPENAI_OPTIONAL_FIELDS)


def test_each_optional_field_is_translated_or_dropped_for_anthropic_never_forwarded_as_is(
    gateway: LiveGateway, fake_anthropic: FakeAnthropic
):
    gateway.add_credential("anthropic", baseUrl=fake_anthropic.base_url)
    client = openai.OpenAI(base_url=f"{gateway.url}/v1/openai", api_key=gateway.key, max_retries=0)
    wrong: dict[str, Any] = {}
    for name, (companions, expected) in ANTHROPIC_TRANSLATION.items():
        if expected is REFUSED:
            continue
        completion = client.chat.completions.create(
            model="claude-sonnet-4-5",
            messages=HELLO,
            **_create_kwargs({name: OPENAI_OPTIONAL_FIELDS[name], **companions}),
        )
        assert completion.choices[0].message.content == "Paris.", name
        sent = fake_anthropic.received[-1].body
        beyond = {k: v for k, v in sent.items() if k not in ("model", "messages")}
        if beyond != {"max_tokens": 4096, **expected} or sent["messages"] != ANTHROPIC_HELLO:
            wrong[name] = sent
    assert wrong == {}
    assert fake_anthropic.problems == []  # the fake refuses any field the Messages API does not know
    assert set().union(*(r.body for r in fake_anthropic.received)) <= BODY_FIELDS


def test_n_above_one_is_refused_for_anthropic(gateway: LiveGateway, fake_anthropic: FakeAnthropic):
    gateway.add_credential("anthropic", baseUrl=fake_anthropic.base_url)
    client = openai.OpenAI(base_url=f"{gateway.url}/v1/openai", api_key=gateway.key, max_retries=0)
    assert [name for name, (_, expected) in ANTHROPIC_TRANSLATION.items() if expected is REFUSED] == ["n"]
    with pytest.raises(openai.BadRequestError) as error:
        client.chat.completions.create(model="claude-sonnet-4-5", messages=HELLO, n=OPENAI_OPTIONAL_FIELDS["n"])
    assert error.value.code == "invalid_request" and error.value.param == "n"
    assert fake_anthropic.received == []
    assert client.chat.completions.create(model="claude-sonnet-4-5", messages=HELLO, n=1).choices[0].index == 0
