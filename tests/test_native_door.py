"""The native `/v1/chat` door: success shape, metrics, headers, and every error code in the spec's shape."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import PROVIDER_SECRET, LiveGateway
from tests.fakes.openai_server import FakeOpenAI, Reply, completion

HELLO = [{"role": "user", "content": "Capital of France?"}]


def chat(gw: LiveGateway, body: Any, headers: dict[str, str] | None = None, key: str | None = "default"):
    with gw.client() as http:
        if key is None:
            http.headers.pop("Authorization")
        elif key != "default":
            http.headers["Authorization"] = key
        if isinstance(body, bytes):
            return http.post("/v1/chat", content=body, headers={"content-type": "application/json", **(headers or {})})
        return http.post("/v1/chat", json=body, headers=headers or {})


def assert_error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"] == code
    assert isinstance(body["message"], str) and body["message"]
    assert response.headers["x-killtoken-request-id"].startswith("req_")
    return dict(body)


def test_native_chat_returns_provider_response_with_metrics(openai_gateway: LiveGateway, fake_openai: FakeOpenAI):
    response = chat(
        openai_gateway,
        {
            "provider": "openai_compatible",
            "model": "llama-3.1-8b",
            "messages": HELLO,
            "metadata": {"feature": "  capital-quiz  "},
            "temperature": 0.2,
        },
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["choices"][0]["message"]["content"] == "Paris"
    metrics = body["killtoken"]["metrics"]
    assert metrics["promptTokens"] == 21 and metrics["completionTokens"] == 2 and metrics["totalTokens"] == 23
    assert metrics["feature"] == "capital-quiz"
    assert metrics["cacheStatus"] == "bypass"
    assert metrics["requestId"] == response.headers["x-killtoken-request-id"]
    assert json.loads(response.headers["x-killtoken-metrics"]) == metrics
    sent = fake_openai.received[-1]
    assert sent.headers["authorization"] == f"Bearer {PROVIDER_SECRET}"
    # Our own fields never reach the provider; generation parameters do.
    assert sent.body == {"model": "llama-3.1-8b", "messages": HELLO, "temperature": 0.2}


def test_cost_is_exact_for_priced_openai_models(gateway: LiveGateway, fake_openai: FakeOpenAI):
    gateway.add_credential("openai", baseUrl=fake_openai.base_url)
    fake_openai.replies.append(Reply(200, completion(prompt_tokens=1000, completion_tokens=100, cached=200)))
    response = chat(gateway, {"provider": "openai", "model": "gpt-4.1-mini", "messages": HELLO})
    assert response.status_code == 200, response.text
    # gpt-4.1-mini: $0.40/M input, $0.10/M cached input, $1.60/M output.
    assert response.json()["killtoken"]["metrics"]["costUsd"] == "0.0005"


@pytest.mark.parametrize("authorization", [None, "Bearer kt_not_a_real_key", f"Bearer {PROVIDER_SECRET}", "Basic x"])
def test_missing_or_wrong_tenant_key_is_401(openai_gateway: LiveGateway, authorization: str | None):
    response = chat(
        openai_gateway, {"provider": "openai", "model": "gpt-4.1-mini", "messages": HELLO}, key=authorization
    )
    assert_error(response, 401, "tenant_not_resolved")


def test_provider_without_credential_is_400_before_any_provider_work(gateway: LiveGateway, fake_openai: FakeOpenAI):
    response = chat(gateway, {"provider": "openai", "model": "gpt-4.1-mini", "messages": HELLO})
    body = assert_error(response, 400, "provider_credential_required")
    assert "kt credentials add openai" in body["message"]
    assert fake_openai.received == []


def test_stream_true_is_422(openai_gateway: LiveGateway, fake_openai: FakeOpenAI):
    response = chat(openai_gateway, {"provider": "openai_compatible", "model": "m", "messages": HELLO, "stream": True})
    assert_error(response, 422, "streaming_not_supported")
    assert fake_openai.received == []


@pytest.mark.parametrize(
    ("patch", "code"),
    [
        ({"model": ""}, "invalid_model"),
        ({"model": None}, "invalid_model"),
        ({"messages": []}, "invalid_messages"),
        ({"messages": [{"role": "wizard", "content": "hi"}]}, "invalid_messages"),
        ({"messages": [{"role": "user"}]}, "invalid_messages"),
        ({"messages": "hello"}, "invalid_messages"),
        ({"cachePolicy": {"exactCache": "sometimes"}}, "invalid_cache_policy"),
        ({"cachePolicy": {"exactCache": "read_write", "ttlSeconds": -5}}, "invalid_cache_policy"),
        ({"optimizationMode": "turbo"}, "invalid_optimization_mode"),
        ({"provider": None}, "invalid_provider"),
        ({"provider": "nonesuch"}, "invalid_provider"),
        ({"idempotencyKey": ""}, "invalid_idempotency_key"),
    ],
)
def test_malformed_fields_name_the_field(
    openai_gateway: LiveGateway, fake_openai: FakeOpenAI, patch: dict[str, Any], code: str
):
    body = {"provider": "openai_compatible", "model": "m", "messages": HELLO, **patch}
    assert_error(chat(openai_gateway, body), 400, code)
    assert fake_openai.received == []


@pytest.mark.parametrize(("typed", "meant"), [("opneai", "openai"), ("OpenAI", "openai"), ("antropic", "anthropic")])
def test_a_mistyped_provider_gets_a_did_you_mean(openai_gateway: LiveGateway, typed: str, meant: str):
    response = chat(openai_gateway, {"provider": typed, "model": "m", "messages": HELLO})
    assert f"did you mean '{meant}'?" in assert_error(response, 400, "invalid_provider")["message"]
    with openai_gateway.client() as http:
        record = http.get(f"/v1/requests/{response.headers['x-killtoken-request-id']}").json()
    assert (record["provider"], record["error"]) == (None, "invalid_provider"), "no row for a provider that is not one"


def test_optimization_mode_header_is_validated(openai_gateway: LiveGateway):
    response = chat(
        openai_gateway,
        {"provider": "openai_compatible", "model": "m", "messages": HELLO},
        headers={"x-killtoken-optimization-mode": "max"},
    )
    assert_error(response, 400, "invalid_optimization_mode")


@pytest.mark.parametrize("raw", [b"{not json", b"[1, 2]", b""])
def test_bad_json_is_400_not_500(openai_gateway: LiveGateway, raw: bytes):
    response = chat(openai_gateway, raw)
    assert response.status_code == 400
    assert response.json()["error"] in ("invalid_json", "invalid_request")


def test_upstream_auth_failure_names_the_credential_and_never_echoes_the_secret(
    gateway: LiveGateway, fake_openai: FakeOpenAI
):
    wrong = "sk-wrong-secret-0123456789abcdef"
    gateway.add_credential(secret=wrong, baseUrl=fake_openai.base_url)
    response = chat(gateway, {"provider": "openai_compatible", "model": "m", "messages": HELLO})
    body = assert_error(response, 401, "provider_auth_failed")
    assert wrong not in response.text and "sk-wrong" not in response.text
    assert "kt credentials add" in body["message"]


def test_upstream_rate_limit_keeps_429_and_retry_after(openai_gateway: LiveGateway, fake_openai: FakeOpenAI):
    fake_openai.replies.append(Reply(429, {"error": {"message": "Slow down"}}, {"retry-after": "7"}))
    response = chat(openai_gateway, {"provider": "openai_compatible", "model": "m", "messages": HELLO})
    assert_error(response, 429, "upstream_rate_limited")
    assert response.headers["retry-after"] == "7"


def _malformed(**message: Any) -> dict[str, Any]:
    body = completion()
    body["choices"][0]["message"].update(message)
    return body


@pytest.mark.parametrize(
    "reply",
    [
        Reply(500, {"error": "boom"}),
        Reply(200, b"<html>oops</html>"),
        Reply(200, _malformed(tool_calls=5)),  # a body shaped unlike a chat completion: the provider's fault
    ],
)
def test_upstream_failure_or_garbage_is_502(openai_gateway: LiveGateway, fake_openai: FakeOpenAI, reply: Reply):
    fake_openai.replies.append(reply)
    response = chat(openai_gateway, {"provider": "openai_compatible", "model": "m", "messages": HELLO})
    assert_error(response, 502, "upstream_error")
    with openai_gateway.client() as http:
        row = http.get(f"/v1/requests/{response.headers['x-killtoken-request-id']}").json()
    assert row["status"] == 502 and row["error"] == "upstream_error"


def test_usage_that_is_not_token_counts_delivers_the_answer_as_unpriced(
    openai_gateway: LiveGateway, fake_openai: FakeOpenAI
):
    fake_openai.replies.append(
        Reply(200, {**completion(), "usage": {"prompt_tokens": 21, "completion_tokens": "lots"}})
    )
    response = chat(openai_gateway, {"provider": "openai_compatible", "model": "m", "messages": HELLO})
    assert response.status_code == 200, response.text
    assert response.json()["choices"][0]["message"]["content"] == "Paris"  # the answer was paid for: keep it
    metrics = response.json()["killtoken"]["metrics"]
    assert metrics["usageReported"] is False and metrics["costUsd"] is None and metrics["priced"] is False
    with openai_gateway.client() as http:
        row = http.get(f"/v1/requests/{metrics['requestId']}").json()
    assert row["status"] == 200 and row["cost_usd"] is None  # unpriced in every report, never a silent $0


def test_a_bug_is_a_recorded_500_that_frees_the_idempotency_key_and_logs_no_secret(
    openai_gateway: LiveGateway,
    fake_openai: FakeOpenAI,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
):
    from killtoken_proxy.gateway.pipeline import Gateway

    async def broken(self: Gateway, call: Any) -> None:
        raise RuntimeError(f"boom while holding {PROVIDER_SECRET}")

    body = {"provider": "openai_compatible", "model": "m", "messages": HELLO, "idempotencyKey": "bug-1"}
    with monkeypatch.context() as patched:
        patched.setattr(Gateway, "_optimize", broken)
        failed = chat(openai_gateway, body)
        with openai_gateway.client() as http:
            sdk = http.post("/v1/openai/chat/completions", json={"model": "m", "messages": HELLO})
    assert_error(failed, 500, "internal_error")
    assert sdk.status_code == 500 and sdk.json()["error"]["code"] == "internal_error"
    assert PROVIDER_SECRET not in failed.text and PROVIDER_SECRET not in caplog.text
    assert "boom while holding [redacted]" in caplog.text  # the traceback is logged, scrubbed
    retried = chat(openai_gateway, body)  # the key was released: the retry runs, it is no replay
    assert retried.status_code == 200 and retried.json()["killtoken"]["metrics"]["replay"] is False
    with openai_gateway.client() as http:
        row = http.get(f"/v1/requests/{failed.headers['x-killtoken-request-id']}").json()
    assert row["status"] == 500 and row["error"] == "internal_error"
    assert failed.headers["x-killtoken-plan-used"] == "0"  # the failed call gave its plan unit back


def test_unreachable_upstream_is_502_upstream_unreachable(gateway: LiveGateway):
    from tests.conftest import free_port

    gateway.add_credential(baseUrl=f"http://127.0.0.1:{free_port()}/v1")
    response = chat(gateway, {"provider": "openai_compatible", "model": "m", "messages": HELLO})
    assert_error(response, 502, "upstream_unreachable")


def test_unknown_route_answers_in_the_spec_shape(gateway: LiveGateway):
    with gateway.client() as http:
        response = http.get("/v1/nope")
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


def test_every_request_success_or_error_is_in_the_ledger(openai_gateway: LiveGateway):
    ok = chat(
        openai_gateway,
        {"provider": "openai_compatible", "model": "m", "messages": HELLO},
        headers={"x-killtoken-feature": "ledger-check"},
    )
    bad = chat(
        openai_gateway,
        {"provider": "openai_compatible", "model": "m", "messages": HELLO, "stream": True},
        headers={"x-killtoken-feature": "ledger-check"},
    )
    with openai_gateway.client() as http:
        rows = http.get("/v1/requests", params={"feature": "ledger-check"}).json()["data"]
        one = http.get(f"/v1/requests/{ok.headers['x-killtoken-request-id']}").json()
        missing = http.get("/v1/requests/req_doesnotexist")
    ids = [r["id"] for r in rows]
    assert ids == [bad.headers["x-killtoken-request-id"], ok.headers["x-killtoken-request-id"]]
    assert rows[0]["status"] == 422 and rows[0]["error"] == "streaming_not_supported"
    assert one["status"] == 200 and one["prompt_tokens"] == 21 and one["feature"] == "ledger-check"
    assert "tenant_id" not in one
    assert missing.status_code == 404 and missing.json()["error"] == "request_not_found"


DOORS = [
    ("/v1/chat", {"provider": "openai", "model": "gpt-4.1-mini", "messages": HELLO}),
    ("/v1/openai/chat/completions", {"model": "gpt-4.1-mini", "messages": HELLO}),
    ("/v1/anthropic/v1/messages", {"model": "claude-sonnet-4-5", "max_tokens": 5, "messages": HELLO}),
]


@pytest.mark.parametrize(("path", "body"), DOORS)
def test_errors_after_auth_carry_the_same_headers_as_successes(gateway: LiveGateway, path: str, body: dict[str, Any]):
    with gateway.client() as http:
        no_credential = http.post(path, json=body)
        streaming = http.post(path, json={**body, "stream": True})
        bad_json = http.post(path, content=b"{nope", headers={"content-type": "application/json"})
    for response, status in ((no_credential, 400), (streaming, 422), (bad_json, 400)):
        assert response.status_code == status, response.text
        request_id = response.headers["x-killtoken-request-id"]
        metrics = json.loads(response.headers["x-killtoken-metrics"])
        assert metrics["requestId"] == request_id and metrics["costUsd"] == "0" and metrics["totalTokens"] == 0
        assert response.headers["x-killtoken-plan"] == "unlimited"
        assert response.headers["x-killtoken-plan-limit"] == "unlimited"
        assert response.headers["x-killtoken-plan-used"] == "0"  # refused before the limits: nothing counted
        assert response.headers["x-killtoken-plan-reset"].endswith("T00:00:00Z")
