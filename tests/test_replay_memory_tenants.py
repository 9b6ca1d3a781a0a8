"""Provider-only fields remembered by tool-call id (DeepSeek's reasoning, Gemini's thought signatures) stay
with the tenant whose call produced them: another tenant replaying the same id gets nothing."""

from __future__ import annotations

import json
from typing import Any

import httpx

from killtoken_proxy.admin_token import read_admin_token
from killtoken_proxy.gateway.chat_request import ChatRequest
from killtoken_proxy.providers import registry
from killtoken_proxy.providers.base import Credential
from tests.conftest import PROVIDER_SECRET, LiveGateway
from tests.fakes import gemini_server
from tests.fakes.openai_server import FakeOpenAI, Reply, completion

CALL = {"id": "call_ds1", "type": "function", "function": {"name": "w", "arguments": "{}"}}
HISTORY = [
    {"role": "user", "content": "Weather?"},
    {"role": "assistant", "content": None, "tool_calls": [CALL]},
    {"role": "tool", "tool_call_id": "call_ds1", "content": "sun"},
]


def _reasoning_answer() -> dict[str, Any]:
    answer = completion()
    answer["choices"][0]["message"] = {
        "role": "assistant",
        "content": None,
        "reasoning_content": "Tenant A's private chain of thought.",
        "tool_calls": [CALL],
    }
    answer["choices"][0]["finish_reason"] = "tool_calls"
    return answer


def test_gemini_signatures_are_not_replayed_into_another_tenants_request():
    adapter = registry.default_adapters()["gemini"]
    part = {"functionCall": {"name": "w", "args": {}}, "thoughtSignature": "c2ln"}
    mine = ChatRequest(provider="gemini", model="gemini-2.5-flash", messages=[], tenant_id="tn_a")
    [call] = adapter.from_response(mine, gemini_server.answer_body([part])).body["choices"][0]["message"]["tool_calls"]
    history = [
        {"role": "user", "content": "Weather?"},
        {"role": "assistant", "content": None, "tool_calls": [call]},
        {"role": "tool", "tool_call_id": call["id"], "content": "cold"},
    ]
    credential = Credential("cred_g", "gemini", {"apiKey": "k"}, {})
    for tenant, expected in (("tn_b", None), ("tn_a", "c2ln")):
        request = ChatRequest(provider="gemini", model="gemini-2.5-flash", messages=history, tenant_id=tenant)
        body = adapter.to_request(request, credential).body
        assert json.loads(body)["contents"][1]["parts"][0].get("thoughtSignature") == expected


def test_deepseek_reasoning_of_one_tenant_never_reaches_another_tenants_upstream_call(gateway: LiveGateway):
    fake_openai = FakeOpenAI(PROVIDER_SECRET, prefix="").start()  # DeepSeek's API has no /v1 prefix
    try:
        _two_tenants_replay(gateway, fake_openai)
    finally:
        fake_openai.stop()


def _two_tenants_replay(gateway: LiveGateway, fake_openai: FakeOpenAI) -> None:
    admin = {"Authorization": f"Bearer {read_admin_token(gateway.settings.paths.admin_token_file)}"}
    with httpx.Client(base_url=gateway.url, timeout=30) as http:
        created = http.post("/v1/admin/tenants", headers=admin, json={"name": "other"})
        assert created.status_code == 201, created.text
        other_key = created.json()["key"]["key"]
    other = LiveGateway(gateway.url, other_key, gateway.settings)
    for tenant in (gateway, other):
        tenant.add_credential("deepseek", baseUrl=fake_openai.origin)
    chat = {"provider": "deepseek", "model": "deepseek-chat", "messages": [{"role": "user", "content": "Weather?"}]}
    fake_openai.replies.append(Reply(200, _reasoning_answer()))
    with gateway.client() as http:
        assert http.post("/v1/chat", json=chat).status_code == 200
    replay = {**chat, "messages": HISTORY}
    with other.client() as http:
        assert http.post("/v1/chat", json=replay).status_code == 200
    assert "reasoning_content" not in fake_openai.received[-1].body["messages"][1]
    with gateway.client() as http:
        assert http.post("/v1/chat", json=replay).status_code == 200
    assert fake_openai.received[-1].body["messages"][1]["reasoning_content"] == "Tenant A's private chain of thought."
    assert fake_openai.received[-1].headers["authorization"] == f"Bearer {PROVIDER_SECRET}"
