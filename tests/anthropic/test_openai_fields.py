"""The Anthropic half of the OpenAI fields table: every optional field the OpenAI SDK sends, sent to a Claude
model through the OpenAI door, is translated into the Messages body, dropped, or (only `n > 1`) refused;
none is forwarded under a name Anthropic does not know (the fake rejects unknown fields as the API does)."""

from __future__ import annotations

from typing import Any

import openai
import pytest

from tests.conftest import LiveGateway
from tests.fakes.anthropic_server import BODY_FIELDS, FakeAnthropic
from tests.test_openai_params import HELLO, OPENAI_OPTIONAL_FIELDS, TOOL, create_kwargs


def openai_sdk(gw: LiveGateway) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{gw.url}/v1/openai", api_key=gw.key, max_retries=0)


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


def test_the_anthropic_table_covers_every_field():
    assert set(ANTHROPIC_TRANSLATION) == set(OPENAI_OPTIONAL_FIELDS)


def test_each_optional_field_is_translated_or_dropped_for_anthropic_never_forwarded_as_is(
    claude_gateway: LiveGateway, fake_anthropic: FakeAnthropic
):
    client = openai_sdk(claude_gateway)
    wrong: dict[str, Any] = {}
    for name, (companions, expected) in ANTHROPIC_TRANSLATION.items():
        if expected is REFUSED:
            continue
        completion = client.chat.completions.create(
            model="claude-sonnet-4-5",
            messages=HELLO,
            **create_kwargs({name: OPENAI_OPTIONAL_FIELDS[name], **companions}),
        )
        assert completion.choices[0].message.content == "Paris.", name
        sent = fake_anthropic.received[-1].body
        beyond = {k: v for k, v in sent.items() if k not in ("model", "messages")}
        if beyond != {"max_tokens": 4096, **expected} or sent["messages"] != ANTHROPIC_HELLO:
            wrong[name] = sent
    assert wrong == {}
    assert fake_anthropic.problems == []  # the fake refuses any field the Messages API does not know
    assert set().union(*(r.body for r in fake_anthropic.received)) <= BODY_FIELDS


def test_n_above_one_is_refused_for_anthropic(claude_gateway: LiveGateway, fake_anthropic: FakeAnthropic):
    client = openai_sdk(claude_gateway)
    assert [name for name, (_, expected) in ANTHROPIC_TRANSLATION.items() if expected is REFUSED] == ["n"]
    with pytest.raises(openai.BadRequestError) as error:
        client.chat.completions.create(model="claude-sonnet-4-5", messages=HELLO, n=OPENAI_OPTIONAL_FIELDS["n"])
    assert error.value.code == "invalid_request" and error.value.param == "n"
    assert fake_anthropic.received == []
    assert client.chat.completions.create(model="claude-sonnet-4-5", messages=HELLO, n=1).choices[0].index == 0
