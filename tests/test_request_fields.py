"""Pure request-field rules: feature tags and redaction."""

from __future__ import annotations

import pytest

from killtoken_proxy.errors import InvalidRequest
from killtoken_proxy.gateway.redaction import redact
from killtoken_proxy.gateway.request_fields import parse_feature


def test_feature_body_wins_trimmed_and_capped():
    assert parse_feature({"feature": "  body  "}, {"x-killtoken-feature": "header"}) == "body"
    assert parse_feature(None, {"x-killtoken-feature": " header "}) == "header"
    assert parse_feature({"feature": "   "}, {"x-killtoken-feature": "header"}) == "header"
    assert parse_feature({"feature": "x" * 200}, {}) == "x" * 80
    assert parse_feature({}, {}) is None
    with pytest.raises(InvalidRequest):
        parse_feature({"feature": {"nested": 1}}, {})


def test_redaction_removes_full_and_masked_keys():
    secret = "sk-proj-abcdef0123456789"
    text = f"Incorrect API key provided: {secret}. Also sk-abc***wxyz and kt_abcdefghijk."
    cleaned = redact(text, [secret])
    assert secret not in cleaned and "sk-abc" not in cleaned and "kt_abcdefghijk" not in cleaned
    assert cleaned.endswith("and [redacted].")  # the sentence keeps its full stop


@pytest.mark.parametrize(
    "key",
    [
        "sk_live_4eC39HqLyjWDarjtT1zdp7dc",
        "xai-Zx9c2bD4eF6gH8iJ0kL2",
        "gsk_8f7e6d5c4b3a29180716",
        "pplx-0a1b2c3d4e5f6a7b8c9d",
        "AIzaSyA-1234567890abcdefghijklmnopqrstu",
        "AKIAIOSFODNN7EXAMPLE",
        "ASIAY34FZKBOKMUTVV7A",
        "ya29.a0AfB_byC1234567890abcdefghij",
        "ya29.fake-1",
    ],
)
def test_redaction_removes_every_provider_key_shape(key: str):
    assert redact(f"The key {key} was rejected.", []) == "The key [redacted] was rejected."


@pytest.mark.parametrize(
    "text",
    [
        "Unknown parameter: skip_special_tokens.",
        "sketching a plan; the task_identifier field; risk-assessment",
        "kt_init is short, sk-learn too, AKIA alone, AIza, ya29 alone",
        "AKIAIOSFODNN7EXAMPLEXTRA is longer than an access key id",
    ],
)
def test_redaction_leaves_ordinary_words_alone(text: str):
    assert redact(text, []) == text


def test_an_exact_secret_is_removed_whatever_it_looks_like():
    assert redact("bad password hunter2-but-longer here", ["hunter2-but-longer"]) == "bad password [redacted] here"


def test_redaction_catches_a_non_ascii_secret_echoed_as_latin_1():
    secret = "sk-caf\u00e9-1234567890abcdef"  # stored before such secrets were refused
    echoed = "Incorrect API key provided: " + secret.encode("utf-8").decode("latin-1") + "."
    assert redact(echoed, [secret]) == "Incorrect API key provided: [redacted]."
