"""The Python SDK (`KillTokenClient`, `AsyncKillTokenClient`) against a live gateway and a fake upstream."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest

import killtoken_cli as kt
from killtoken_cli.exceptions import error_for
from tests.conftest import LiveGateway
from tests.fakes.openai_server import FakeOpenAI, Reply

HELLO = [{"role": "user", "content": "Capital of France?"}]


def test_chat_from_environment_returns_response_and_metrics(
    openai_gateway: LiveGateway, fake_openai: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
):
    # The OpenAI SDK's base (`.../v1/openai`) in KILLTOKEN_BASE_URL works too.
    monkeypatch.setenv("KILLTOKEN_BASE_URL", f"{openai_gateway.url}/v1/openai/")
    monkeypatch.setenv("KILLTOKEN_API_KEY", openai_gateway.key)
    with kt.KillTokenClient() as client:
        response, metrics = client.chat(
            provider="openai_compatible",
            model="llama-3.1-8b",
            messages=HELLO,
            metadata={"feature": "my-feature-name"},
            cache_policy={"exactCache": "read_write"},
            idempotency_key="req-123",
            optimization_mode="safe",
            temperature=0.3,
        )
    assert response["choices"][0]["message"]["content"] == "Paris" and "killtoken" not in response
    assert metrics["feature"] == "my-feature-name" and metrics["optimizationMode"] == "safe"
    assert metrics["cacheStatus"] == "miss" and metrics["requestId"].startswith("req_")
    # Only the generation parameters reach the provider.
    assert fake_openai.received[-1].body == {"model": "llama-3.1-8b", "messages": HELLO, "temperature": 0.3}


def test_options_are_sent_in_the_contract_s_field_names():
    seen: list[dict[str, Any]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append({"auth": request.headers["authorization"], "path": request.url.path, **json.loads(request.content)})
        return httpx.Response(200, json={"choices": [], "killtoken": {"metrics": {"requestId": "req_1"}}})

    client = kt.KillTokenClient("http://gw.test/", "kt_abc", transport=httpx.MockTransport(handler))
    result = client.chat(
        provider="openai",
        model="gpt-4.1-mini",
        messages=HELLO,
        feature="weekly-summary",
        metadata={"team": "growth"},
        cache_policy="read_write",
        idempotency_key="req-123",
        optimization_mode="measure_only",
    )
    assert result.metrics == {"requestId": "req_1"} and result.response == {"choices": []}
    assert seen == [
        {
            "auth": "Bearer kt_abc",
            "path": "/v1/chat",
            "provider": "openai",
            "model": "gpt-4.1-mini",
            "messages": HELLO,
            "metadata": {"team": "growth", "feature": "weekly-summary"},
            "cachePolicy": {"exactCache": "read_write"},
            "idempotencyKey": "req-123",
            "optimizationMode": "measure_only",
        }
    ]


def test_a_client_without_a_key_says_how_to_give_one():
    with pytest.raises(kt.KillTokenError) as error:
        kt.KillTokenClient("http://127.0.0.1:1")
    assert "KILLTOKEN_API_KEY" in str(error.value)


def _expect(exc_type: type[kt.KillTokenAPIError], status: int, code: str, call: Any) -> kt.KillTokenAPIError:
    with pytest.raises(exc_type) as error:
        call()
    assert (error.value.status, error.value.code) == (status, code)
    assert error.value.message and str(error.value).startswith(code)
    return error.value


def test_every_gateway_error_is_a_typed_exception_with_the_spec_code(
    openai_gateway: LiveGateway, fake_openai: FakeOpenAI
):
    client = kt.KillTokenClient(openai_gateway.url, openai_gateway.key)

    def chat(**overrides: Any) -> Any:
        return lambda: client.chat(
            **{"provider": "openai_compatible", "model": "m", "messages": HELLO, **overrides}  # type: ignore[arg-type]
        )

    missing = _expect(kt.CredentialRequired, 400, "provider_credential_required", chat(provider="openai"))
    assert isinstance(missing, kt.BadRequestError) and missing.request_id and missing.request_id.startswith("req_")
    _expect(kt.InvalidModel, 400, "invalid_model", chat(model=""))
    _expect(kt.InvalidMessages, 400, "invalid_messages", chat(messages=[]))
    _expect(kt.InvalidCachePolicy, 400, "invalid_cache_policy", chat(cache_policy="sometimes"))
    _expect(kt.InvalidOptimizationMode, 400, "invalid_optimization_mode", chat(optimization_mode="turbo"))
    _expect(kt.StreamingNotSupported, 422, "streaming_not_supported", chat(stream=True))
    fake_openai.replies.append(Reply(429, {"error": {"message": "slow down"}}, {"retry-after": "7"}))
    limited = _expect(kt.UpstreamRateLimited, 429, "upstream_rate_limited", chat())
    assert isinstance(limited, kt.RateLimited) and isinstance(limited, kt.UpstreamError) and limited.retry_after == 7
    fake_openai.replies.append(Reply(500, {"error": "boom"}))
    _expect(kt.UpstreamError, 502, "upstream_error", chat())
    _expect(kt.NotFoundError, 404, "request_not_found", lambda: client.get_request("req_nope"))
    stranger = kt.KillTokenClient(openai_gateway.url, "kt_not_a_key")
    _expect(
        kt.TenantNotResolved,
        401,
        "tenant_not_resolved",
        lambda: stranger.chat(provider="openai_compatible", model="m", messages=HELLO),
    )
    assert len(fake_openai.received) == 2


@pytest.mark.parametrize(
    ("status", "body", "headers", "expected"),
    [
        (
            402,
            {"error": "plan_limit_exceeded", "message": "quota"},
            {"x-killtoken-plan-limit": "1000"},
            kt.PlanLimitExceeded,
        ),
        (403, {"error": "tenant_suspended", "message": "no"}, {}, kt.TenantSuspended),
        (429, {"error": "rate_limited", "message": "slow"}, {"retry-after": "2"}, kt.RateLimited),
        (501, {"error": "not_implemented", "message": "no"}, {}, kt.NotImplementedByGateway),
        (401, {"error": "provider_auth_failed", "message": "bad key"}, {}, kt.ProviderAuthFailed),
        (504, {"error": "upstream_timeout", "message": "slow"}, {}, kt.UpstreamError),
        (500, {"error": "internal_error", "message": "bug"}, {}, kt.ServerError),
        (400, {"error": {"code": "invalid_model", "message": "openai shape"}}, {}, kt.InvalidModel),
        (418, "not json at all", {}, kt.KillTokenAPIError),
        (422, {"error": "idempotency_key_reused", "message": "other body"}, {}, kt.IdempotencyKeyReused),
        (409, {"error": "idempotency_in_progress", "message": "wait"}, {}, kt.IdempotencyInProgress),
        (422, {"error": "some_future_check", "message": "no"}, {}, kt.UnprocessableEntityError),
        (409, {"error": "template_name_taken", "message": "taken"}, {}, kt.ConflictError),
    ],
)
def test_error_mapping_for_codes_the_gateway_may_answer(status, body, headers, expected):
    error = error_for(status, body, {"x-killtoken-request-id": "req_9", **headers}, "teapot")
    assert type(error) is expected and error.status == status and error.request_id == "req_9"
    if expected is kt.PlanLimitExceeded:
        assert error.limit == "1000"  # type: ignore[attr-defined]
    if expected is kt.RateLimited:
        assert error.retry_after == 2  # type: ignore[attr-defined]


def test_async_client_shares_the_calls_and_errors(openai_gateway: LiveGateway, fake_openai: FakeOpenAI):
    async def run() -> tuple[kt.ChatResult, kt.KillTokenAPIError]:
        async with kt.AsyncKillTokenClient(openai_gateway.url, openai_gateway.key) as client:
            result = await client.chat(provider="openai_compatible", model="m", messages=HELLO, feature="async")
            with pytest.raises(kt.CredentialRequired) as error:
                await client.chat(provider="openai", model="gpt-4.1-mini", messages=HELLO)
            listed = await client.list_requests(feature="async")
            assert [r["id"] for r in listed["data"]] == [result.metrics["requestId"]]
            return result, error.value

    (response, metrics), error = asyncio.run(run())
    assert response["choices"][0]["message"]["content"] == "Paris" and metrics["feature"] == "async"
    assert error.code == "provider_credential_required"


def test_a_reused_idempotency_key_is_its_own_error_not_a_streaming_one(openai_gateway: LiveGateway):
    with kt.KillTokenClient(openai_gateway.url, openai_gateway.key) as client:
        client.chat(provider="openai_compatible", model="m", messages=HELLO, idempotency_key="k-1")
        with pytest.raises(kt.IdempotencyKeyReused) as error:
            client.chat(provider="openai_compatible", model="other", messages=HELLO, idempotency_key="k-1")
    assert error.value.status == 422 and not isinstance(error.value, kt.StreamingNotSupported)


def test_an_unreachable_gateway_is_a_typed_error_naming_the_address():
    from tests.conftest import free_port

    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    with kt.KillTokenClient(url, "kt_x") as client, pytest.raises(kt.KillTokenConnectionError) as error:
        client.list_requests()
    assert error.value.url == url and url in str(error.value) and "kt serve" in str(error.value)

    async def run() -> None:
        async with kt.AsyncKillTokenClient(url, "kt_x") as client:
            with pytest.raises(kt.KillTokenConnectionError, match=url):
                await client.cache_stats()
            with pytest.raises(kt.KillTokenConnectionError, match=url):
                async with client.export_requests("csv"):
                    pass

    asyncio.run(run())


def test_async_export_streams_the_same_rows_as_the_sync_one(openai_gateway: LiveGateway):
    with kt.KillTokenClient(openai_gateway.url, openai_gateway.key) as client:
        client.chat(provider="openai_compatible", model="m", messages=HELLO, feature="exported")
        with client.export_requests("ndjson") as (expected, chunks):
            sync_body = b"".join(chunks)

    async def run() -> tuple[int | None, bytes]:
        async with (
            kt.AsyncKillTokenClient(openai_gateway.url, openai_gateway.key) as client,
            client.export_requests("ndjson") as (expected, chunks),
        ):
            return expected, b"".join([chunk async for chunk in chunks])

    async_expected, async_body = asyncio.run(run())
    assert async_body == sync_body and async_expected == expected
    assert [json.loads(line)["feature"] for line in async_body.splitlines()] == ["exported"]

    async def bad_filter() -> None:
        async with (
            kt.AsyncKillTokenClient(openai_gateway.url, openai_gateway.key) as client,
            client.export_requests("csv", start="yesterday-ish"),
        ):
            pass

    with pytest.raises(kt.BadRequestError):
        asyncio.run(bad_filter())
