"""Table-driven: every optional field the official OpenAI SDK sends (reference sheet §4.2) reaches an
OpenAI-family upstream unchanged, through the real SDK. The Anthropic half (each field translated,
dropped or refused) is `tests/anthropic/test_openai_fields.py`."""

from __future__ import annotations

import inspect
from typing import Any

import openai

from tests.conftest import LiveGateway
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


def create_kwargs(fields: dict[str, Any]) -> dict[str, Any]:
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
            model="gpt-4.1-mini", messages=HELLO, **create_kwargs({name: value})
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
    client.chat.completions.create(model="gpt-4.1-mini", messages=messages, **create_kwargs(OPENAI_OPTIONAL_FIELDS))
    sent = fake_openai.received[-1].body
    assert sent == {"model": "gpt-4.1-mini", "messages": messages, **OPENAI_OPTIONAL_FIELDS}
