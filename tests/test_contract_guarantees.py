"""Contract guarantees checked end to end through a live gateway: replays at the plan limit, the credential
check before any replay or cache hit, and secrets read from the secret store once, not per request."""

from __future__ import annotations

from typing import Any

import pytest

from killtoken_proxy.secrets.vault import EncryptedFileKeyring
from tests.admin_helpers import chat_body, patch_tenant
from tests.conftest import LiveGateway
from tests.fakes.openai_server import FakeOpenAI


def test_an_idempotent_replay_works_at_the_plan_limit_and_does_not_count(
    openai_gateway: LiveGateway, fake_openai: FakeOpenAI
):
    patch_tenant(openai_gateway, "default", monthlyRequests=1)
    keyed = {**chat_body(), "idempotencyKey": "order-42"}
    with openai_gateway.client() as http:
        first = http.post("/v1/chat", json=keyed)
        assert first.status_code == 200 and first.headers["x-killtoken-plan-used"] == "1"
        over = http.post("/v1/chat", json=chat_body("Something new"))
        assert over.status_code == 402 and over.json()["error"] == "plan_limit_exceeded"
        replay = http.post("/v1/chat", json=keyed)
    assert replay.status_code == 200, replay.text
    assert replay.headers["x-killtoken-plan-used"] == "1" and replay.headers["x-killtoken-plan-limit"] == "1"
    metrics = replay.json()["killtoken"]["metrics"]
    assert metrics["replay"] is True and metrics["originalRequestId"] == first.headers["x-killtoken-request-id"]
    assert replay.json()["choices"] == first.json()["choices"]
    assert len(fake_openai.received) == 1


def _set_active(http: Any, credential_id: str, active: bool) -> None:
    response = http.patch(
        f"/v1/provider-credentials/{credential_id}", json={"status": "active" if active else "inactive"}
    )
    assert response.status_code == 200, response.text


def test_a_deactivated_credential_stops_replays_and_cache_hits_before_they_answer(
    gateway: LiveGateway, fake_openai: FakeOpenAI
):
    credential = gateway.add_credential(baseUrl=fake_openai.base_url)
    cached = {**chat_body(), "cachePolicy": {"exactCache": "read_write"}}
    keyed = {**chat_body("Keyed"), "idempotencyKey": "k-1"}
    with gateway.client() as http:
        assert http.post("/v1/chat", json=cached).status_code == 200
        assert http.post("/v1/chat", json=keyed).status_code == 200
        _set_active(http, str(credential["id"]), False)
        for body in (cached, keyed):
            refused = http.post("/v1/chat", json=body)
            assert refused.status_code == 400 and refused.json()["error"] == "provider_credential_required"
        _set_active(http, str(credential["id"]), True)
        hit = http.post("/v1/chat", json=cached).json()["killtoken"]["metrics"]
        replay = http.post("/v1/chat", json=keyed).json()["killtoken"]["metrics"]
    assert hit["cacheStatus"] == "hit" and replay["replay"] is True
    assert len(fake_openai.received) == 2  # nothing above reached the provider a second time


def test_secrets_are_read_from_the_store_once_not_per_request(
    openai_gateway: LiveGateway, fake_openai: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
):
    reads: list[str] = []
    original = EncryptedFileKeyring.get_password

    def counting(self: EncryptedFileKeyring, service: str, username: str) -> str | None:
        reads.append(username)
        return original(self, service, username)

    monkeypatch.setattr(EncryptedFileKeyring, "get_password", counting)
    with openai_gateway.client() as http:
        for n in range(20):
            assert http.post("/v1/chat", json=chat_body(f"Question {n}")).status_code == 200
    assert len(fake_openai.received) == 20
    assert len([name for name in reads if name.startswith("credential:")]) <= 1
