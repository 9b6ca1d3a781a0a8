"""The provider-credentials API beyond add/list: read one, PATCH (rotate, relabel, config, status), live test."""

from __future__ import annotations

import httpx
import pytest

from tests.admin_helpers import admin_client, chat_body
from tests.conftest import PROVIDER_SECRET, LiveGateway, free_port
from tests.fakes.openai_server import FakeOpenAI, Reply

ROTATED_SECRET = "sk-rotated-4c2e8a1f9b7d3e5a6c"


@pytest.fixture
def credential(openai_gateway: LiveGateway) -> str:
    with openai_gateway.client() as http:
        (only,) = http.get("/v1/provider-credentials").json()["data"]
    return str(only["id"])


def test_rotating_the_secret_takes_effect_on_the_next_call(
    openai_gateway: LiveGateway, fake_openai: FakeOpenAI, credential: str
):
    with openai_gateway.client() as http:
        assert http.post("/v1/chat", json=chat_body()).status_code == 200
        fake_openai.expected_key = ROTATED_SECRET  # the provider rotated the key
        rejected = http.post("/v1/chat", json=chat_body())
        assert rejected.status_code == 401 and rejected.json()["error"] == "provider_auth_failed"
        rotated = http.patch(f"/v1/provider-credentials/{credential}", json={"apiKey": ROTATED_SECRET})
        assert rotated.status_code == 200, rotated.text
        meta = rotated.json()
        assert meta["last4"] == ROTATED_SECRET[-4:] and meta["updatedAt"] and ROTATED_SECRET not in rotated.text
        assert http.post("/v1/chat", json=chat_body()).status_code == 200
    assert fake_openai.received[-1].headers["authorization"] == f"Bearer {ROTATED_SECRET}"
    vault = openai_gateway.settings.paths.vault_file.read_text()
    assert ROTATED_SECRET not in vault and PROVIDER_SECRET not in vault


def test_label_and_config_are_merged_and_validated(openai_gateway: LiveGateway, credential: str):
    second = FakeOpenAI(PROVIDER_SECRET).start()
    try:
        with openai_gateway.client() as http:
            url = f"/v1/provider-credentials/{credential}"
            patched = http.patch(url, json={"label": "lab box", "config": {"defaultModel": "llama-3.1-8b"}}).json()
            assert patched["label"] == "lab box"
            assert patched["config"]["defaultModel"] == "llama-3.1-8b" and "baseUrl" in patched["config"]
            http.patch(url, json={"config": {"baseUrl": second.base_url, "defaultModel": None}})
            assert http.get(url).json()["config"] == {"baseUrl": second.base_url}
            assert http.post("/v1/chat", json=chat_body()).status_code == 200
            assert len(second.received) == 1  # calls follow the new base URL at once
            removed_required = http.patch(url, json={"config": {"baseUrl": None}})
            assert removed_required.status_code == 400 and removed_required.json()["error"] == "invalid_credential"
            assert "config.baseUrl" in removed_required.json()["message"]
    finally:
        second.stop()


def test_a_deactivated_or_deleted_credential_fails_fast(
    openai_gateway: LiveGateway, fake_openai: FakeOpenAI, credential: str
):
    with openai_gateway.client() as http:
        url = f"/v1/provider-credentials/{credential}"
        assert http.patch(url, json={"status": "inactive"}).json()["status"] == "inactive"
        refused = http.post("/v1/chat", json=chat_body())
        assert refused.status_code == 400 and refused.json()["error"] == "provider_credential_required"
        assert fake_openai.received == []
        assert http.patch(url, json={"status": "active"}).json()["status"] == "active"
        assert http.post("/v1/chat", json=chat_body()).status_code == 200
        assert http.delete(url).status_code == 204
        gone = http.post("/v1/chat", json=chat_body())
        assert gone.status_code == 400 and gone.json()["error"] == "provider_credential_required"
        assert len(fake_openai.received) == 1
        assert http.get(url).status_code == 404


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"provider": "openai"}, "invalid_credential"),
        ({"status": "paused"}, "invalid_credential"),
        ({"apiKey": ""}, "invalid_credential"),
        ({"config": "x"}, "invalid_credential"),
        ({"config": {"region": "eu"}}, "invalid_credential"),
        ({"label": 5}, "invalid_credential"),
        ([1, 2], "invalid_request"),
    ],
)
def test_bad_patches_get_clear_errors(openai_gateway: LiveGateway, credential: str, body: object, code: str):
    with openai_gateway.client() as http:
        response = http.patch(f"/v1/provider-credentials/{credential}", json=body)
        assert response.status_code == 400 and response.json()["error"] == code
        assert http.get(f"/v1/provider-credentials/{credential}").json()["updatedAt"] is None  # nothing changed


def test_patch_errors_for_missing_credentials_and_bad_json(openai_gateway: LiveGateway, credential: str):
    with openai_gateway.client() as http:
        missing = http.patch("/v1/provider-credentials/cred_nope", json={"label": "x"})
        assert missing.status_code == 404 and missing.json()["error"] == "credential_not_found"
        garbage = http.patch(f"/v1/provider-credentials/{credential}", content=b"{not json")
        assert garbage.status_code == 400 and garbage.json()["error"] == "invalid_json"


# -- live test --------------------------------------------------------------------------------------
def test_a_live_test_that_succeeds_reports_latency_and_is_not_billed(
    openai_gateway: LiveGateway, fake_openai: FakeOpenAI, credential: str
):
    with openai_gateway.client() as http:
        result = http.post(f"/v1/provider-credentials/{credential}/test", json={"model": "llama-3.1-8b"}).json()
        assert (result["status"], result["ok"], result["httpStatus"]) == ("ok", True, 200)
        assert result["latencyMs"] > 0 and result["model"] == "llama-3.1-8b"
        assert http.get("/v1/requests").json()["data"] == []  # not a gateway call
    sent = fake_openai.received[-1]
    assert sent.body == {"model": "llama-3.1-8b", "messages": [{"role": "user", "content": "ping"}], "max_tokens": 1}
    assert sent.headers["authorization"] == f"Bearer {PROVIDER_SECRET}"
    with admin_client(openai_gateway) as admin:
        assert admin.get("/v1/admin/tenants/default").json()["usage"]["used"] == 0


def test_the_probe_model_defaults_to_the_provider_s_small_model(gateway: LiveGateway, fake_openai: FakeOpenAI):
    meta = gateway.add_credential("openai", baseUrl=fake_openai.base_url)
    with gateway.client() as http:
        result = http.post(f"/v1/provider-credentials/{meta['id']}/test").json()
    assert result["status"] == "ok" and fake_openai.received[-1].body["model"] == "gpt-4.1-nano"


def test_a_rejected_key_is_auth_failed_and_the_echoed_secret_is_redacted(
    openai_gateway: LiveGateway, fake_openai: FakeOpenAI, credential: str
):
    fake_openai.expected_key = "sk-some-other-key"  # the fake echoes the key it got, as OpenAI does
    with openai_gateway.client() as http:
        response = http.post(f"/v1/provider-credentials/{credential}/test", json={"model": "m"})
    result = response.json()
    assert response.status_code == 200 and (result["status"], result["httpStatus"]) == ("auth_failed", 401)
    assert "Incorrect API key" in result["message"]
    assert PROVIDER_SECRET not in response.text and PROVIDER_SECRET[-8:] not in response.text


def test_an_unreachable_provider_and_a_provider_error_are_told_apart(
    openai_gateway: LiveGateway, fake_openai: FakeOpenAI, credential: str
):
    with openai_gateway.client() as http:
        url = f"/v1/provider-credentials/{credential}"
        fake_openai.replies.append(Reply(404, {"error": {"message": "The model `m` does not exist"}}))
        error = http.post(f"{url}/test", json={"model": "m"}).json()
        assert (error["status"], error["httpStatus"]) == ("error", 404) and "does not exist" in error["message"]
        http.patch(url, json={"config": {"baseUrl": f"http://127.0.0.1:{free_port()}/v1"}})
        down = http.post(f"{url}/test", json={"model": "m"}).json()
        assert (down["status"], down["ok"], down["httpStatus"]) == ("unreachable", False, None)
        assert "Could not connect" in down["message"]


def test_the_test_endpoint_needs_a_model_when_it_cannot_pick_one(openai_gateway: LiveGateway, credential: str):
    with openai_gateway.client() as http:
        response = http.post(f"/v1/provider-credentials/{credential}/test")
        assert response.status_code == 400 and response.json()["error"] == "invalid_model"
        assert "--model" in response.json()["message"]
        odd = http.post(f"/v1/provider-credentials/{credential}/test", json={"modle": "x"})
        assert odd.status_code == 400


def test_unauthenticated_calls_are_refused(gateway: LiveGateway):
    response = httpx.patch(f"{gateway.url}/v1/provider-credentials/cred_x", json={})
    assert response.status_code == 401 and response.json()["error"] == "tenant_not_resolved"
