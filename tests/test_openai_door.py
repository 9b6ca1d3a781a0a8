"""The OpenAI SDK drop-in door, driven by the official `openai` Python SDK."""

from __future__ import annotations

import asyncio

import openai
import pytest

from tests.conftest import PROVIDER_SECRET, LiveGateway
from tests.fakes.openai_server import FakeOpenAI, Reply

HELLO = [{"role": "user", "content": "Capital of France?"}]


def sdk(gw: LiveGateway, **headers: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{gw.url}/v1/openai", api_key=gw.key, default_headers=headers, max_retries=0)


def test_sdk_call_works_unchanged_and_carries_metrics(openai_gateway: LiveGateway, fake_openai: FakeOpenAI):
    client = sdk(openai_gateway, **{"x-killtoken-feature": "weekly-summary"})
    raw = client.chat.completions.with_raw_response.create(
        model="openai_compatible/llama-3.1-8b",
        messages=HELLO,
        temperature=0.1,
        seed=7,
        extra_body={"top_k": 5},
    )
    completion = raw.parse()
    assert completion.choices[0].message.content == "Paris"
    metrics = completion.model_extra["killtoken"]["metrics"]
    assert metrics["feature"] == "weekly-summary" and metrics["promptTokens"] == 21
    assert raw.headers["x-killtoken-request-id"] == metrics["requestId"]
    sent = fake_openai.received[-1]
    # The prefix is routing, not part of the model name; unknown fields pass through to OpenAI-family upstreams.
    assert sent.body["model"] == "llama-3.1-8b" and sent.body["seed"] == 7 and sent.body["top_k"] == 5
    assert sent.headers["authorization"] == f"Bearer {PROVIDER_SECRET}"
    assert not any(name.startswith("x-stainless") for name in sent.headers)
    assert openai_gateway.key not in str(sent.headers)


def test_gpt_models_route_to_openai(gateway: LiveGateway, fake_openai: FakeOpenAI):
    gateway.add_credential("openai", baseUrl=fake_openai.base_url)
    completion = sdk(gateway).chat.completions.create(model="gpt-4.1-mini", messages=HELLO)
    assert completion.model_extra["killtoken"]["metrics"]["provider"] == "openai"
    assert fake_openai.received[-1].body["model"] == "gpt-4.1-mini"


def test_metadata_feature_wins_and_the_rest_of_metadata_is_forwarded(
    openai_gateway: LiveGateway, fake_openai: FakeOpenAI
):
    client = sdk(openai_gateway, **{"x-killtoken-feature": "from-header"})
    completion = client.chat.completions.create(
        model="llama", messages=HELLO, metadata={"feature": "from-body", "team": "growth"}, store=True
    )
    assert completion.model_extra["killtoken"]["metrics"]["feature"] == "from-body"
    assert fake_openai.received[-1].body["metadata"] == {"team": "growth"}


def test_errors_raise_the_right_sdk_exception_with_the_spec_code(gateway: LiveGateway):
    with pytest.raises(openai.BadRequestError) as missing:
        sdk(gateway).chat.completions.create(model="gpt-4.1-mini", messages=HELLO)
    assert missing.value.code == "provider_credential_required"
    bad_key = openai.OpenAI(base_url=f"{gateway.url}/v1/openai", api_key="kt_wrong", max_retries=0)
    with pytest.raises(openai.AuthenticationError) as unauthenticated:
        bad_key.chat.completions.create(model="gpt-4.1-mini", messages=HELLO)
    assert unauthenticated.value.code == "tenant_not_resolved"


def test_streaming_is_rejected_with_422(openai_gateway: LiveGateway):
    with pytest.raises(openai.UnprocessableEntityError) as error:
        sdk(openai_gateway).chat.completions.create(model="llama", messages=HELLO, stream=True)
    assert error.value.code == "streaming_not_supported"


def test_responses_api_is_501_not_implemented(openai_gateway: LiveGateway):
    with pytest.raises(openai.APIStatusError) as error:
        sdk(openai_gateway).responses.create(model="gpt-4.1-mini", input="hi")
    assert error.value.status_code == 501 and error.value.code == "not_implemented"


def test_unroutable_model_is_invalid_model_naming_the_options(gateway: LiveGateway, fake_openai: FakeOpenAI):
    gateway.add_credential("openai", baseUrl=fake_openai.base_url)
    gateway.add_credential("openai_compatible", baseUrl=fake_openai.base_url)
    with pytest.raises(openai.BadRequestError) as error:
        sdk(gateway).chat.completions.create(model="llama-3.1-8b", messages=HELLO)
    assert error.value.code == "invalid_model"
    assert "openai_compatible" in error.value.message


@pytest.mark.parametrize("base", ["/v1/openai", "/v1/openai/v1", "/v1", ""])
def test_every_base_url_users_set_reaches_the_door(gateway: LiveGateway, fake_openai: FakeOpenAI, base: str):
    gateway.add_credential("openai", baseUrl=fake_openai.base_url)
    client = openai.OpenAI(base_url=f"{gateway.url}{base}", api_key=gateway.key, max_retries=0)
    raw = client.chat.completions.with_raw_response.create(model="gpt-4.1-mini", messages=HELLO)
    assert raw.parse().choices[0].message.content == "Paris"
    # The SDK's own request id is KillToken's, so `completion._request_id` names the ledger record.
    assert raw.parse()._request_id == raw.headers["x-killtoken-request-id"]
    assert [m.id for m in client.models.list()].count("gpt-4.1-mini") == 1
    with pytest.raises(openai.BadRequestError) as error:
        client.chat.completions.create(model="gpt-4.1-mini", messages=[])
    assert error.value.code == "invalid_messages" and error.value.request_id.startswith("req_")


def _counting_client(gw: LiveGateway, seen: list[str], max_retries: int = 2) -> openai.OpenAI:
    http = openai.DefaultHttpxClient(event_hooks={"request": [lambda request: seen.append(str(request.url.path))]})
    return openai.OpenAI(base_url=f"{gw.url}/v1/openai", api_key=gw.key, http_client=http, max_retries=max_retries)


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.responses.create(model="gpt-4.1-mini", input="hi"),
        lambda c: c.embeddings.create(model="text-embedding-3-small", input="hi"),
        lambda c: c.images.generate(prompt="a cat"),
        lambda c: c.audio.speech.create(model="tts-1", voice="alloy", input="hi"),
        lambda c: c.audio.transcriptions.create(model="whisper-1", file=("a.wav", b"RIFF0000WAVE")),
        lambda c: c.files.list(),
        lambda c: c.batches.list(),
        lambda c: c.moderations.create(input="hi"),
        lambda c: c.completions.create(model="gpt-3.5-turbo-instruct", prompt="hi"),
        lambda c: c.chat.completions.list(),
        lambda c: c.chat.completions.retrieve("chatcmpl-1"),
        lambda c: c.models.delete("ft:gpt-4o:me"),
        lambda c: c.fine_tuning.jobs.list(),
        lambda c: c.vector_stores.list(),
    ],
)
def test_unsupported_openai_endpoints_are_501_and_not_retried(openai_gateway: LiveGateway, call):
    seen: list[str] = []
    with pytest.raises(openai.APIStatusError) as error:
        call(_counting_client(openai_gateway, seen))
    assert error.value.status_code == 501 and error.value.code == "not_implemented"
    assert "chat completions only" in error.value.message
    assert len(seen) == 1, f"the SDK retried a 501: {seen}"


def test_sdk_headers_never_reach_the_provider(gateway: LiveGateway, fake_openai: FakeOpenAI):
    gateway.add_credential("openai", baseUrl=fake_openai.base_url)
    client = openai.OpenAI(
        base_url=f"{gateway.url}/v1/openai",
        api_key=gateway.key,
        organization="org-caller",
        project="proj_caller",
        default_headers={"x-killtoken-feature": "f", "x-killtoken-provider": "openai"},
        max_retries=0,
    )
    client.chat.completions.create(model="gpt-4.1-mini", messages=HELLO)
    sent = fake_openai.received[-1].headers
    assert not [h for h in sent if h.startswith(("x-stainless", "openai-", "x-killtoken"))]
    assert sent["authorization"] == f"Bearer {PROVIDER_SECRET}"


def test_family_routed_model_without_credential_says_how_to_route_elsewhere(openai_gateway: LiveGateway):
    with pytest.raises(openai.BadRequestError) as error:
        sdk(openai_gateway).chat.completions.create(model="gpt-4.1-mini", messages=HELLO)
    assert error.value.code == "provider_credential_required"
    assert "openai_compatible/gpt-4.1-mini" in error.value.message


def test_a_misspelt_provider_prefix_is_invalid_provider_not_sent_on(
    openai_gateway: LiveGateway, fake_openai: FakeOpenAI
):
    with pytest.raises(openai.BadRequestError) as error:
        sdk(openai_gateway).chat.completions.create(model="openai-compatible/llama", messages=HELLO)
    assert error.value.code == "invalid_provider" and "did you mean 'openai_compatible'?" in error.value.message
    assert fake_openai.received == []


def test_default_model_of_a_credential_routes_to_it(gateway: LiveGateway, fake_openai: FakeOpenAI):
    gateway.add_credential("openai", baseUrl=fake_openai.base_url)
    gateway.add_credential("openai_compatible", baseUrl=fake_openai.base_url, defaultModel="llama-3.1-8b")
    completion = sdk(gateway).chat.completions.create(model="llama-3.1-8b", messages=HELLO)
    assert completion.model_extra["killtoken"]["metrics"]["provider"] == "openai_compatible"
    with gateway.client() as http:
        record = http.get(f"/v1/requests/{completion.model_extra['killtoken']['metrics']['requestId']}").json()
    assert record["routed_by"] == "default_model"


def _rate_limited(fake: FakeOpenAI, times: int, **headers: str) -> None:
    body = {
        "error": {"message": "Rate limit reached for gpt-4.1-mini", "type": "requests", "code": "rate_limit_exceeded"}
    }
    fake.replies.extend(Reply(429, body, dict(headers)) for _ in range(times))


def test_provider_429_is_a_rate_limit_error_after_the_sdk_retries_it(gateway: LiveGateway, fake_openai: FakeOpenAI):
    gateway.add_credential("openai", baseUrl=fake_openai.base_url)
    _rate_limited(fake_openai, 3, **{"retry-after": "0"})
    seen: list[str] = []
    with pytest.raises(openai.RateLimitError) as error:
        _counting_client(gateway, seen).chat.completions.create(model="gpt-4.1-mini", messages=HELLO)
    assert error.value.status_code == 429 and error.value.code == "upstream_rate_limited"
    assert "Rate limit reached" in error.value.message
    assert error.value.response.headers["retry-after"] == "0"
    # The SDK's normal retries (2) each reached the provider once; none turned into a 5xx.
    assert len(seen) == 3 and len(fake_openai.received) == 3


def test_provider_saying_do_not_retry_is_obeyed(gateway: LiveGateway, fake_openai: FakeOpenAI):
    gateway.add_credential("openai", baseUrl=fake_openai.base_url)
    _rate_limited(fake_openai, 1, **{"x-should-retry": "false"})
    seen: list[str] = []
    with pytest.raises(openai.RateLimitError):
        _counting_client(gateway, seen).chat.completions.create(model="gpt-4.1-mini", messages=HELLO)
    assert len(seen) == 1


def test_async_sdk_gets_the_same_answers_and_errors(gateway: LiveGateway, fake_openai: FakeOpenAI):
    gateway.add_credential("openai", baseUrl=fake_openai.base_url)
    asyncio.run(_async_calls(gateway, fake_openai))


async def _async_calls(gateway: LiveGateway, fake_openai: FakeOpenAI) -> None:
    client = openai.AsyncOpenAI(
        base_url=f"{gateway.url}/v1/openai",
        api_key=gateway.key,
        default_headers={"x-killtoken-feature": "async-feature"},
        max_retries=0,
    )
    raw = await client.chat.completions.with_raw_response.create(model="gpt-4.1-mini", messages=HELLO)
    completion = raw.parse()
    metrics = completion.model_extra["killtoken"]["metrics"]
    assert completion.choices[0].message.content == "Paris"
    assert metrics["feature"] == "async-feature" and metrics["provider"] == "openai"
    assert raw.headers["x-killtoken-request-id"] == metrics["requestId"] == completion._request_id
    assert fake_openai.received[-1].headers["user-agent"] != raw.http_request.headers["user-agent"]
    _rate_limited(fake_openai, 1)
    with pytest.raises(openai.RateLimitError) as error:
        await client.chat.completions.create(model="gpt-4.1-mini", messages=HELLO)
    assert error.value.code == "upstream_rate_limited"
    with pytest.raises(openai.AuthenticationError) as unauthenticated:
        await openai.AsyncOpenAI(
            base_url=f"{gateway.url}/v1/openai", api_key="kt_nope", max_retries=0
        ).chat.completions.create(model="gpt-4.1-mini", messages=HELLO)
    assert unauthenticated.value.code == "tenant_not_resolved"
    await client.close()


@pytest.mark.parametrize(
    ("status", "code", "exception"),
    [
        (400, "invalid_model", openai.BadRequestError),
        (400, "provider_credential_required", openai.BadRequestError),
        (401, "tenant_not_resolved", openai.AuthenticationError),
        (402, "plan_limit_exceeded", openai.APIStatusError),
        (403, "tenant_suspended", openai.PermissionDeniedError),
        (404, "model_not_found", openai.NotFoundError),
        (409, "idempotency_conflict", openai.ConflictError),
        (422, "streaming_not_supported", openai.UnprocessableEntityError),
        (429, "rate_limited", openai.RateLimitError),
        (501, "not_implemented", openai.InternalServerError),
        (502, "upstream_error", openai.InternalServerError),
        (504, "upstream_timeout", openai.InternalServerError),
    ],
)
def test_every_status_becomes_the_sdk_exception_with_the_spec_code(status: int, code: str, exception: type):
    """Our OpenAI-shaped error body, as the SDK parses it, for every status the gateway can answer."""
    import httpx2

    from killtoken_proxy.api.error_rendering import error_body
    from killtoken_proxy.errors import KillTokenError

    def answer(request: httpx2.Request) -> httpx2.Response:
        body = error_body(request.url.path, KillTokenError("what went wrong", code=code, status=status))
        return httpx2.Response(status, json=body, headers={"x-request-id": "req_1"})

    client = openai.OpenAI(
        base_url="http://gateway.test/v1/openai",
        api_key="kt_x",
        max_retries=0,
        http_client=openai.DefaultHttpxClient(transport=httpx2.MockTransport(answer)),
    )
    with pytest.raises(exception) as error:
        client.chat.completions.create(model="gpt-4.1-mini", messages=HELLO)
    assert type(error.value) is exception
    assert (error.value.status_code, error.value.code) == (status, code)
    assert "what went wrong" in error.value.message and error.value.request_id == "req_1"
