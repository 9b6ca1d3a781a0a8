"""The OpenAI SDK drop-in door, driven by the official `openai` Python SDK."""

from __future__ import annotations

import openai
import pytest

from tests.conftest import PROVIDER_SECRET, LiveGateway
from tests.fakes.openai_server import FakeOpenAI

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
