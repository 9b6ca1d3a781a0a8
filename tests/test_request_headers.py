"""Options by header on every door (body wins), feature tags in any script or length, and field-naming errors."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import PROVIDER_SECRET, LiveGateway
from tests.fakes.anthropic_server import FakeAnthropic
from tests.fakes.openai_server import FakeOpenAI

HELLO = [{"role": "user", "content": "Capital of France?"}]
DOORS = {
    "native": ("/v1/chat", {"provider": "openai_compatible", "model": "m"}),
    "openai": ("/v1/openai/chat/completions", {"model": "openai_compatible/m"}),
    "anthropic": ("/v1/anthropic/messages", {"model": "claude-haiku-4-5", "max_tokens": 16}),
}


@pytest.fixture
def every_door(openai_gateway: LiveGateway) -> Iterator[LiveGateway]:
    """The OpenAI-compatible gateway plus an `anthropic` credential, so the Anthropic door answers too."""
    fake = FakeAnthropic(PROVIDER_SECRET).start()
    openai_gateway.add_credential("anthropic", baseUrl=fake.base_url)
    yield openai_gateway
    fake.stop()


def post(gw: LiveGateway, door: str, body: dict[str, Any], headers: list[tuple[bytes, bytes]] | None = None):
    path, base = DOORS[door]
    with gw.client() as http:
        return http.post(path, json={**base, "messages": HELLO, **body}, headers=headers or [])


def metrics_of(response: Any) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    metrics: dict[str, Any] = response.json()["killtoken"]["metrics"]
    # The header copy is plain ASCII whatever the tag, and says the same thing.
    response.headers["x-killtoken-metrics"].encode("ascii")
    assert json.loads(response.headers["x-killtoken-metrics"]) == metrics
    return metrics


def recorded_feature(gw: LiveGateway, metrics: dict[str, Any]) -> Any:
    with gw.client() as http:
        return http.get(f"/v1/requests/{metrics['requestId']}").json()["feature"]


@pytest.mark.parametrize("door", DOORS)
def test_utf8_feature_header_is_read_as_utf8(every_door: LiveGateway, door: str):
    tag = "résumé-ünïcode-日本語"
    metrics = metrics_of(post(every_door, door, {}, [(b"x-killtoken-feature", tag.encode())]))
    assert metrics["feature"] == tag
    assert recorded_feature(every_door, metrics) == tag


@pytest.mark.parametrize("door", DOORS)
def test_long_feature_is_capped_at_80_characters_not_bytes(every_door: LiveGateway, door: str):
    tag = "🚀" * 30 + "é" * 100  # 4-byte and 2-byte characters: a byte cap would cut one in half
    metrics = metrics_of(post(every_door, door, {"metadata": {"feature": tag}}))
    assert metrics["feature"] == tag[:80] and len(metrics["feature"]) == 80
    header_tag = "x" * 79 + "ü" * 5
    metrics = metrics_of(post(every_door, door, {}, [(b"x-killtoken-feature", header_tag.encode())]))
    assert metrics["feature"] == header_tag[:80]


def test_feature_with_decomposed_accents_is_one_clean_tag_and_a_lone_surrogate_is_400(openai_gateway: LiveGateway):
    raw = b'{"provider":"openai_compatible","model":"m","messages":[{"role":"user","content":"hi"}],'
    with openai_gateway.client() as http:
        broken = http.post("/v1/chat", content=raw + b'"metadata":{"feature":"a\\ud800b"}}')
        decomposed = http.post("/v1/chat", content=raw + b'"metadata":{"feature":"cafe\\u0301"}}')
    # Not a character: refused like any body that cannot be stored or sent on (tests/test_request_body.py).
    assert broken.status_code == 400 and "`metadata.feature`" in broken.json()["message"]
    assert metrics_of(decomposed)["feature"] == "caf\u00e9"


def test_latin1_header_bytes_are_kept_as_latin1(openai_gateway: LiveGateway):
    metrics = metrics_of(post(openai_gateway, "native", {}, [(b"x-killtoken-feature", "café".encode("latin-1"))]))
    assert metrics["feature"] == "café"


@pytest.mark.parametrize("door", DOORS)
def test_body_values_win_over_headers(every_door: LiveGateway, door: str):
    headers = [
        (b"x-killtoken-feature", b"from-header"),
        (b"x-killtoken-optimization-mode", b"not-a-mode"),
        (b"x-killtoken-idempotency-key", b""),
    ]
    body = {"metadata": {"feature": "from-body"}, "optimizationMode": "safe", "idempotencyKey": "req-123"}
    metrics = metrics_of(post(every_door, door, body, headers))
    assert metrics["feature"] == "from-body" and metrics["optimizationMode"] == "safe"


@pytest.mark.parametrize("door", DOORS)
def test_header_only_options_apply_and_bad_ones_name_the_header(every_door: LiveGateway, door: str):
    metrics = metrics_of(post(every_door, door, {}, [(b"x-killtoken-optimization-mode", b"balanced")]))
    assert metrics["optimizationMode"] == "balanced"
    bad_mode = post(every_door, door, {}, [(b"x-killtoken-optimization-mode", b"turbo")])
    bad_key = post(every_door, door, {}, [(b"x-killtoken-idempotency-key", b"k" * 300)])
    for response, code, header in (
        (bad_mode, "invalid_optimization_mode", "x-killtoken-optimization-mode"),
        (bad_key, "invalid_idempotency_key", "x-killtoken-idempotency-key"),
    ):
        assert response.status_code == 400
        body = response.json()
        # The native shape, OpenAI's ({"error": {"code", ...}}) or Anthropic's ({"error": {"details": ...}}).
        error = body["error"] if isinstance(body["error"], dict) else body | {"code": body["error"]}
        assert error.get("code", error.get("details", {}).get("error_code")) == code and header in error["message"]


@pytest.mark.parametrize(
    ("patch", "code", "named"),
    [
        ({"model": 42}, "invalid_model", "`model`"),
        ({"messages": None}, "invalid_messages", "`messages`"),
        ({"messages": ["hi"]}, "invalid_messages", "`messages[0]`"),
        ({"messages": [{"content": "hi"}]}, "invalid_messages", "`messages[0].role`"),
        ({"messages": [{"role": "user", "content": 5}]}, "invalid_messages", "`messages[0].content`"),
        ({"messages": [{"role": "user", "content": ["hi"]}]}, "invalid_messages", "`messages[0].content[0]`"),
        ({"messages": [{"role": "user", "content": [{"type": "text"}]}]}, "invalid_messages", "content[0].text"),
        ({"messages": [{"role": "assistant"}]}, "invalid_messages", "`messages[0].content`"),
        ({"cachePolicy": "read_write"}, "invalid_cache_policy", "`cachePolicy`"),
        ({"cachePolicy": {"exactCache": "read_write", "ttl": 5}}, "invalid_cache_policy", "ttl"),
        ({"cachePolicy": {"ttlSeconds": "soon"}}, "invalid_cache_policy", "`cachePolicy.ttlSeconds`"),
        ({"optimizationMode": 3}, "invalid_optimization_mode", "`optimizationMode`"),
        ({"metadata": "x"}, "invalid_request", "`metadata`"),
        ({"metadata": {"feature": ["a"]}}, "invalid_request", "`metadata.feature`"),
    ],
)
def test_each_malformed_native_field_names_itself(
    openai_gateway: LiveGateway, fake_openai: FakeOpenAI, patch: dict[str, Any], code: str, named: str
):
    response = post(openai_gateway, "native", patch)
    assert response.status_code == 400, response.text
    assert response.json()["error"] == code and named in response.json()["message"]
    assert fake_openai.received == []


def test_assistant_turns_without_text_are_valid(openai_gateway: LiveGateway, fake_openai: FakeOpenAI):
    messages = [
        {"role": "user", "content": "What's the weather?"},
        {"role": "assistant", "content": None, "tool_calls": [{"id": "c1", "type": "function", "function": {}}]},
        {"role": "tool", "tool_call_id": "c1", "content": "sunny"},
        {"role": "assistant", "content": None, "audio": {"id": "audio_1"}},
        {"role": "assistant", "content": None, "refusal": "I can't help with that."},
        {
            "role": "user",
            "content": [{"type": "text", "text": "thanks"}, {"type": "image_url", "image_url": {"url": "x"}}],
        },
    ]
    with openai_gateway.client() as http:
        response = http.post("/v1/chat", json={**DOORS["native"][1], "messages": messages})
    assert response.status_code == 200, response.text
    assert fake_openai.received[-1].body["messages"] == messages


@pytest.mark.parametrize("constant", [b"NaN", b"Infinity", b"-Infinity"])
def test_non_json_number_constants_are_invalid_json(openai_gateway: LiveGateway, constant: bytes):
    body = b'{"provider":"openai_compatible","model":"m","messages":[{"role":"user","content":"hi"}],"temperature":'
    with openai_gateway.client() as http:
        response = http.post("/v1/chat", content=body + constant + b"}")
    assert response.status_code == 400 and response.json()["error"] == "invalid_json"
