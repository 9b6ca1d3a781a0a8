"""Golden tests of the canonical request form: what changes the exact-cache key and what never does."""

from __future__ import annotations

import json
from typing import Any

import pytest

from killtoken_proxy.gateway.cache_key import cache_key, canonical_request, request_fingerprint
from killtoken_proxy.gateway.chat_request import ChatRequest
from killtoken_proxy.gateway.doors import parse_native, parse_openai

ENDPOINT = {"baseUrl": "https://api.openai.com/v1"}
BASE: dict[str, Any] = {
    "provider": "openai",
    "model": "gpt-4.1-mini",
    "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Capital of France?"}],
    "temperature": 0.2,
    "max_tokens": 50,
    "seed": 7,
}


def native(body: dict[str, Any], headers: dict[str, str] | None = None) -> ChatRequest:
    return parse_native(body, headers or {})


def key_of(request: ChatRequest, tenant: str = "tn_golden", endpoint: dict[str, Any] | None = None) -> str:
    return cache_key(tenant, "openai", request, ENDPOINT if endpoint is None else endpoint)


def test_golden_canonical_form_and_key():
    request = native({**BASE, "metadata": {"feature": "quiz"}, "idempotencyKey": "k1", "user": "u-1"})
    assert canonical_request("tn_golden", "openai", request, ENDPOINT) == (
        b'{"endpoint":{"baseUrl":"https://api.openai.com/v1"},'
        b'"messages":[{"content":"Be brief.","role":"system"},{"content":"Capital of France?","role":"user"}],'
        b'"model":"gpt-4.1-mini","optimization":"measure_only",'
        b'"params":{"max_tokens":50,"seed":7,"temperature":0.2},'
        b'"provider":"openai","tenant":"tn_golden","v":1}'
    )
    assert key_of(request) == "9ba4f95a09d683622624760691ec2b5015a75fac278e294a0547986e9bbae99f"


def _reordered(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _reordered(value[k]) for k in reversed(list(value))}
    if isinstance(value, list):
        return [_reordered(v) for v in value]
    return value


SAME_REQUEST = {
    "keys reordered at every level": lambda: native(_reordered(BASE)),
    "JSON whitespace": lambda: native(json.loads(json.dumps(BASE, indent=4).replace(":", " :  "))),
    "feature in the body": lambda: native({**BASE, "metadata": {"feature": "quiz"}}),
    "feature in a header": lambda: native(BASE, {"x-killtoken-feature": "other-feature"}),
    "headers in another order": lambda: native(
        BASE, {"x-killtoken-idempotency-key": "b", "x-killtoken-feature": "f", "user-agent": "x"}
    ),
    "idempotency key in the body": lambda: native({**BASE, "idempotencyKey": "retry-1"}),
    "idempotency key in a header": lambda: native(BASE, {"x-killtoken-idempotency-key": "retry-2"}),
    "cache policy": lambda: native({**BASE, "cachePolicy": {"exactCache": "read_write", "ttlSeconds": 60}}),
    "output-neutral OpenAI fields": lambda: native(
        {**BASE, "user": "u-9", "store": True, "safety_identifier": "s", "service_tier": "flex"}
    ),
    "explicit null parameter": lambda: native({**BASE, "top_p": None}),
    "integral float spelled with .0": lambda: native({**BASE, "max_tokens": 50.0}),
    "stream: false": lambda: native({**BASE, "stream": False}),
    "OpenAI door with metadata": lambda: parse_openai(
        {**BASE, "metadata": {"feature": "quiz", "team": "growth"}}, {"x-killtoken-feature": "h"}
    ),
}


@pytest.mark.parametrize("variant", SAME_REQUEST, ids=list(SAME_REQUEST))
def test_what_cannot_change_the_answer_keeps_the_key(variant: str):
    assert key_of(SAME_REQUEST[variant]()) == key_of(native(BASE))


CHANGED_ANSWER: dict[str, dict[str, Any]] = {
    "temperature": {"temperature": 0.3},
    "top_p": {"top_p": 0.9},
    "max_tokens": {"max_tokens": 51},
    "max_completion_tokens": {"max_completion_tokens": 50},
    "stop": {"stop": ["\n"]},
    "tools": {"tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}]},
    "tool_choice": {"tool_choice": "none"},
    "response_format": {"response_format": {"type": "json_object"}},
    "seed": {"seed": 8},
    "n": {"n": 2},
    "presence_penalty": {"presence_penalty": 0.5},
    "frequency_penalty": {"frequency_penalty": 0.5},
    "logit_bias": {"logit_bias": {"50256": -100}},
    "logprobs": {"logprobs": True},
    "parallel_tool_calls": {"parallel_tool_calls": False},
    "reasoning_effort": {"reasoning_effort": "low"},
    "unknown provider extension": {"top_k": 5},
    "model": {"model": "gpt-4.1"},
    "optimization mode": {"optimizationMode": "aggressive"},
    "message content": {
        "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Capital of Spain?"}]
    },
    "whitespace inside a message": {
        "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Capital of France? "}]
    },
    "message role": {
        "messages": [{"role": "user", "content": "Be brief."}, {"role": "user", "content": "Capital of France?"}]
    },
    "message order": {"messages": list(reversed(BASE["messages"]))},
    "message name": {
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Capital of France?", "name": "bob"},
        ]
    },
}


@pytest.mark.parametrize("change", CHANGED_ANSWER, ids=list(CHANGED_ANSWER))
def test_every_output_affecting_field_changes_the_key(change: str):
    assert key_of(native({**BASE, **CHANGED_ANSWER[change]})) != key_of(native(BASE))


def test_tenant_provider_and_endpoint_are_part_of_the_key():
    request = native(BASE)
    keys = {
        key_of(request),
        key_of(request, tenant="tn_other"),
        cache_key("tn_golden", "azure_openai", request, ENDPOINT),
        key_of(request, endpoint={"baseUrl": "https://eu.api.openai.com/v1"}),
    }
    assert len(keys) == 4


def test_the_idempotency_fingerprint_sees_the_whole_request_but_not_the_key_itself():
    def fingerprint(body: dict[str, Any], headers: dict[str, str] | None = None) -> str:
        return request_fingerprint("tn_golden", "openai", native(body, headers), ENDPOINT)

    plain = fingerprint(BASE)
    assert fingerprint(_reordered({**BASE, "idempotencyKey": "a"})) == plain
    assert fingerprint(BASE, {"x-killtoken-idempotency-key": "b"}) == plain
    for other in (
        {**BASE, "user": "u-2"},
        {**BASE, "metadata": {"feature": "quiz"}},
        {**BASE, "cachePolicy": {"exactCache": "read_write"}},
        {**BASE, "temperature": 0.9},
    ):
        assert fingerprint(other) != plain


def _stdlib_form(document: Any) -> bytes:
    """The canonical form as the first versions wrote it (stdlib json), which persisted keys depend on."""

    def normal(value: Any) -> Any:
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, dict):
            return {k: normal(v) for k, v in value.items()}
        if isinstance(value, list):
            return [normal(v) for v in value]
        return value

    return json.dumps(normal(document), sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


@pytest.mark.parametrize(
    "value",
    [
        0.2,
        1e-05,
        -3.5e-9,
        123456.789,
        2.0**70,
        2**70,
        'é ü \u2028 \x7f \x1f 😀 "quoted" back\\slash\n',
        {"😀": 1, "\uffff": 2, "é": 3, "e": 4, "Z": 5},
        [True, False, None, 0, -1, 1.5, 1e300, 1.0],
    ],
)
def test_canonical_form_is_spelled_as_earlier_versions_spelled_it(value: Any):
    """Cache entries and ledger cache keys written by earlier versions must keep matching."""
    request = native({**BASE, "messages": [{"role": "user", "content": "x", "extra": value}], "logit_bias": value})
    document = json.loads(canonical_request("tn_golden", "openai", request, ENDPOINT))
    assert canonical_request("tn_golden", "openai", request, ENDPOINT) == _stdlib_form(document)
