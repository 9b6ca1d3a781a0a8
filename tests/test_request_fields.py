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


def test_redaction_catches_a_non_ascii_secret_echoed_as_latin_1():
    secret = "sk-caf\u00e9-1234567890abcdef"  # stored before such secrets were refused
    echoed = "Incorrect API key provided: " + secret.encode("utf-8").decode("latin-1") + "."
    assert redact(echoed, [secret]) == "Incorrect API key provided: [redacted]."
