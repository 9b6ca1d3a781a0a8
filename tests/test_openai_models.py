"""`GET /v1/openai/models`: what `client.models.list()` shows is what the tenant can call, by ids that route back."""

from __future__ import annotations

import openai
import pytest

from tests.conftest import LiveGateway
from tests.fakes.http_fake import Reply
from tests.fakes.openai_server import FakeOpenAI

HELLO = [{"role": "user", "content": "Hi"}]


def sdk(gw: LiveGateway, key: str | None = None) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{gw.url}/v1/openai", api_key=key or gw.key, max_retries=0)


def test_no_credentials_lists_nothing(gateway: LiveGateway):
    page = sdk(gateway).models.list()
    assert page.data == []


def test_lists_priced_chat_models_of_each_provider_and_configured_defaults(
    gateway: LiveGateway, fake_openai: FakeOpenAI
):
    gateway.add_credential("openai", baseUrl=fake_openai.base_url)
    gateway.add_credential("openai_compatible", baseUrl=fake_openai.base_url, defaultModel="llama-3.1-8b")
    models = {m.id: m for m in sdk(gateway).models.list()}
    assert models["gpt-4.1-mini"].owned_by == "openai" and models["gpt-4.1-mini"].object == "model"
    assert models["o3-mini"].owned_by == "openai"
    assert models["llama-3.1-8b"].owned_by == "openai_compatible"
    assert isinstance(models["gpt-4.1-mini"].created, int) and models["gpt-4.1-mini"].created > 1_700_000_000
    # The chat door serves chat models only.
    assert not [name for name in models if "embedding" in name or name.startswith(("tts-", "whisper", "dall-e"))]
    # Every listed id routes back to the provider that owns it.
    client = sdk(gateway)
    for name in ("gpt-4.1-mini", "llama-3.1-8b"):
        completion = client.chat.completions.create(model=name, messages=HELLO)
        assert completion.model_extra["killtoken"]["metrics"]["provider"] == models[name].owned_by
        assert fake_openai.received[-1].body["model"] == name


def test_models_called_successfully_are_listed_for_a_provider_without_a_catalog(
    gateway: LiveGateway, fake_openai: FakeOpenAI
):
    gateway.add_credential("openai_compatible", baseUrl=fake_openai.base_url)  # no defaultModel
    client = sdk(gateway)
    assert client.models.list().data == []  # nothing is known about that server's models yet
    completion = client.chat.completions.create(model="llama-3.1-8b", messages=HELLO)
    fake_openai.replies.append(Reply(404, {"error": {"message": "model not found", "type": "invalid_request_error"}}))
    with pytest.raises(openai.NotFoundError):
        client.chat.completions.create(model="llama-typo", messages=HELLO)
    with gateway.client() as http:  # reading the history waits for the ledger's write behind the calls
        http.get(f"/v1/requests/{completion.model_extra['killtoken']['metrics']['requestId']}")
    assert [(m.id, m.owned_by) for m in client.models.list()] == [("llama-3.1-8b", "openai_compatible")]

    gateway.add_credential("openai", baseUrl=fake_openai.base_url)
    ids = [m.id for m in client.models.list()]
    assert "openai_compatible/llama-3.1-8b" in ids and "llama-typo" not in str(ids)


def test_a_default_model_that_another_family_claims_routes_to_its_credential(
    gateway: LiveGateway, fake_openai: FakeOpenAI
):
    gateway.add_credential("openai_compatible", baseUrl=fake_openai.base_url, defaultModel="gpt-4o")
    client = sdk(gateway)
    ids = [m.id for m in client.models.list()]
    assert ids == ["gpt-4o"]  # no openai credential: the bare name reaches the one configured for it
    assert client.models.retrieve("gpt-4o").owned_by == "openai_compatible"
    for model in ("gpt-4o", "openai_compatible/gpt-4o"):
        completion = client.chat.completions.create(model=model, messages=HELLO)
        assert completion.model_extra["killtoken"]["metrics"]["provider"] == "openai_compatible"
        assert fake_openai.received[-1].body["model"] == "gpt-4o"

    gateway.add_credential("openai", baseUrl=fake_openai.base_url)  # now the family's own provider is there
    ids = [m.id for m in client.models.list()]
    assert "openai_compatible/gpt-4o" in ids and client.models.retrieve("gpt-4o").owned_by == "openai"


def test_retrieve_unknown_model_is_404_model_not_found(gateway: LiveGateway, fake_openai: FakeOpenAI):
    gateway.add_credential("openai", baseUrl=fake_openai.base_url)
    client = sdk(gateway)
    assert client.models.retrieve("gpt-4.1-mini").id == "gpt-4.1-mini"
    with pytest.raises(openai.NotFoundError) as error:
        client.models.retrieve("claude-sonnet-4-5")
    assert error.value.code == "model_not_found"


def test_model_list_needs_the_tenant_key(gateway: LiveGateway):
    with pytest.raises(openai.AuthenticationError) as error:
        sdk(gateway, key="kt_wrong").models.list()
    assert error.value.code == "tenant_not_resolved"
