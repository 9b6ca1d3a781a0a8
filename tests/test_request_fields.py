"""Pure request-field rules: feature tags, routing and redaction."""

from __future__ import annotations

import pytest

from killtoken_proxy.errors import InvalidRequest
from killtoken_proxy.gateway.redaction import redact
from killtoken_proxy.gateway.request_fields import parse_feature
from killtoken_proxy.gateway.routing import route

KNOWN = ("openai", "openai_compatible", "anthropic")


def test_feature_body_wins_trimmed_and_capped():
    assert parse_feature({"feature": "  body  "}, {"x-killtoken-feature": "header"}) == "body"
    assert parse_feature(None, {"x-killtoken-feature": " header "}) == "header"
    assert parse_feature({"feature": "   "}, {"x-killtoken-feature": "header"}) == "header"
    assert parse_feature({"feature": "x" * 200}, {}) == "x" * 80
    assert parse_feature({}, {}) is None
    with pytest.raises(InvalidRequest):
        parse_feature({"feature": {"nested": 1}}, {})


@pytest.mark.parametrize(
    ("model", "headers", "tenant", "expected"),
    [
        ("gpt-4.1-mini", {}, ["openai_compatible"], ("openai", "gpt-4.1-mini")),
        ("o3-mini", {}, [], ("openai", "o3-mini")),
        ("claude-sonnet-4-5", {}, [], ("anthropic", "claude-sonnet-4-5")),
        ("openai_compatible/llama-3", {}, [], ("openai_compatible", "llama-3")),
        ("gpt-4.1-mini", {"x-killtoken-provider": "openai_compatible"}, [], ("openai_compatible", "gpt-4.1-mini")),
        ("llama-3", {}, ["openai_compatible"], ("openai_compatible", "llama-3")),
        ("meta-llama/Llama-3-8b", {}, ["openai_compatible"], ("openai_compatible", "meta-llama/Llama-3-8b")),
    ],
)
def test_routing_rule(model, headers, tenant, expected):
    assert route(model, None, headers, KNOWN, tenant) == expected


def test_routing_ambiguous_model_is_invalid_model():
    with pytest.raises(InvalidRequest) as error:
        route("llama-3", None, {}, KNOWN, ["openai", "openai_compatible"])
    assert error.value.code == "invalid_model" and "openai_compatible" in error.value.message


def test_redaction_removes_full_and_masked_keys():
    secret = "sk-proj-abcdef0123456789"
    text = f"Incorrect API key provided: {secret}. Also sk-abc***wxyz and kt_abcdefghijk."
    cleaned = redact(text, [secret])
    assert secret not in cleaned and "sk-abc" not in cleaned and "kt_abcdefghijk" not in cleaned
