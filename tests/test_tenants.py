"""Tenants and keys through the admin API: the admin token, plans, keys shown once, revocation, suspension."""

from __future__ import annotations

import json
import stat

import httpx
import pytest

from killtoken_proxy.api.dependencies import TENANT_HEADER
from killtoken_proxy.store.tenants import hash_key
from tests.admin_helpers import add_credential, admin_client, chat_body, new_tenant, patch_tenant, tenant_client
from tests.conftest import LiveGateway
from tests.fakes.openai_server import FakeOpenAI
from tests.tenant_endpoints import Owned, in_safe_order

ACTING_FOR_ACME = {TENANT_HEADER: "acme"}


def test_the_admin_token_is_owner_only_and_the_only_way_in(gateway: LiveGateway):
    token_file = gateway.settings.paths.admin_token_file
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    for headers in ({}, {"Authorization": f"Bearer {gateway.key}"}, {"Authorization": "Bearer ktadmin_guess"}):
        response = httpx.get(f"{gateway.url}/v1/admin/tenants", headers=headers)
        assert response.status_code == 401 and response.json()["error"] == "admin_unauthorized"
    with admin_client(gateway) as admin:
        assert [t["name"] for t in admin.get("/v1/admin/tenants").json()["data"]] == ["default"]


def test_a_new_tenant_gets_a_key_shown_once_and_stored_only_as_a_hash(gateway: LiveGateway):
    tenant, key = new_tenant(gateway, "acme")
    assert key.startswith("kt_")
    assert (tenant["plan"], tenant["monthlyRequests"], tenant["rateLimitPerMinute"]) == ("unlimited", None, 120)
    with tenant_client(gateway, key) as acme:
        assert acme.get("/v1/provider-credentials").json() == {"data": []}
    with admin_client(gateway) as admin:
        shown = admin.get("/v1/admin/tenants/acme").text + admin.get(f"/v1/admin/tenants/{tenant['id']}/keys").text
        (listed,) = admin.get("/v1/admin/tenants/acme/keys").json()["data"]
    assert listed["display"] == f"{key[:7]}…{key[-4:]}" and listed["status"] == "active"
    stored = gateway.settings.paths.main_db.read_text()
    assert hash_key(key) in stored
    for text in (shown, stored):
        assert key not in text and key[7:-4] not in text
    assert hash_key(key) not in shown


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"name": "default"}, None),
        ({"name": "has space"}, "name"),
        ({"name": "tn_lookalike"}, "name"),
        ({"name": "x", "plan": "gold"}, "plan"),
        ({"name": "x", "plan": "free", "monthlyRequests": 10}, "plan"),
        ({"name": "x", "monthlyRequests": 0}, "monthlyRequests"),
        ({"name": "x", "rateLimitPerMinute": True}, "rateLimitPerMinute"),
        ({"name": "x", "colour": "red"}, "colour"),
        ({"name": "x", "defaultProvider": "togther"}, "defaultProvider"),
    ],
)
def test_bad_tenant_bodies_get_clear_errors(gateway: LiveGateway, body: dict[str, object], param: str | None):
    with admin_client(gateway) as admin:
        response = admin.post("/v1/admin/tenants", json=body)
    if param is None:
        assert response.status_code == 409 and response.json()["error"] == "tenant_exists"
    else:
        assert response.status_code == 400
        assert response.json()["error"] == ("invalid_provider" if param == "defaultProvider" else "invalid_request")
        assert f"`{param}`" in response.json()["message"] or param in response.json()["message"]


def test_plans_and_custom_limits(gateway: LiveGateway):
    new_tenant(gateway, "acme", plan="free")
    with admin_client(gateway) as admin:
        assert admin.get("/v1/admin/tenants/acme").json()["usage"]["limit"] == 1000
        custom = admin.patch("/v1/admin/tenants/acme", json={"monthlyRequests": 50, "rateLimitPerMinute": 5}).json()
        assert (custom["plan"], custom["monthlyRequests"], custom["rateLimitPerMinute"]) == ("custom", 50, 5)
        unlimited = admin.patch("/v1/admin/tenants/acme", json={"monthlyRequests": None}).json()
        assert (unlimited["plan"], unlimited["monthlyRequests"]) == ("unlimited", None)
        renamed = admin.patch("/v1/admin/tenants/acme", json={"name": "acme-corp", "plan": "pro"}).json()
        assert (renamed["name"], renamed["monthlyRequests"]) == ("acme-corp", 100_000)
        assert admin.get("/v1/admin/tenants/acme").status_code == 404
        kept = admin.patch("/v1/admin/tenants/default", json={"name": "mine"})
        assert kept.status_code == 400 and "`default` tenant keeps its name" in kept.json()["message"]


def test_a_revoked_key_is_refused_at_once_and_other_keys_keep_working(gateway: LiveGateway):
    tenant, first = new_tenant(gateway, "acme")
    with admin_client(gateway) as admin:
        created = admin.post("/v1/admin/tenants/acme/keys", json={"label": "worker"}).json()
        second = created.pop("key")
        assert created["label"] == "worker" and second not in json.dumps(created)
        (first_meta,) = [k for k in admin.get("/v1/admin/tenants/acme/keys").json()["data"] if k["id"] != created["id"]]
        with tenant_client(gateway, first) as old:
            assert old.get("/v1/requests").status_code == 200
            revoked = admin.delete(f"/v1/admin/tenants/acme/keys/{first_meta['id']}").json()
            assert revoked["status"] == "revoked" and revoked["revokedAt"]
            refused = old.get("/v1/requests")
            assert refused.status_code == 401 and refused.json()["error"] == "tenant_not_resolved"
            assert old.post("/v1/chat", json=chat_body()).status_code == 401
        with tenant_client(gateway, second) as new:
            assert new.get("/v1/requests").status_code == 200
        missing = admin.delete(f"/v1/admin/tenants/{tenant['id']}/keys/key_nope")
        assert missing.status_code == 404 and missing.json()["error"] == "key_not_found"


def test_a_suspended_tenant_gets_403_on_every_tenant_endpoint(gateway: LiveGateway, fake_openai: FakeOpenAI):
    _tenant, key = new_tenant(gateway, "acme")
    with tenant_client(gateway, key) as acme, admin_client(gateway) as admin:
        credential = add_credential(acme, fake_openai.base_url, fake_openai.expected_key)["id"]
        request_id = acme.post("/v1/chat", json=chat_body()).headers["x-killtoken-request-id"]
        owned = Owned(credential=credential, request=request_id, marker="acme")
        assert admin.post("/v1/admin/tenants/acme/suspend").json()["status"] == "suspended"
        upstream_calls = len(fake_openai.received)
        for endpoint in in_safe_order():
            response = acme.request(endpoint.method, endpoint.url(owned), json=endpoint.body)
            assert response.status_code == 403, endpoint
            assert "tenant_suspended" in response.text, endpoint
            # `kt ... --tenant acme`: the admin token acting for a suspended tenant is refused the same way.
            as_admin = admin.request(endpoint.method, endpoint.url(owned), json=endpoint.body, headers=ACTING_FOR_ACME)
            status, code = (403, "tenant_suspended") if endpoint.admin_token else (401, "tenant_not_resolved")
            assert as_admin.status_code == status and code in as_admin.text, endpoint
        assert len(fake_openai.received) == upstream_calls  # not even the credential test reached the provider
        assert admin.get("/v1/admin/tenants/acme/keys").status_code == 200  # the admin API still manages it
        with tenant_client(gateway, gateway.key) as other:  # other tenants are untouched
            assert other.get("/v1/requests").status_code == 200
        assert admin.post("/v1/admin/tenants/acme/resume").json()["status"] == "active"
        assert acme.post("/v1/chat", json=chat_body()).status_code == 200
        assert acme.get(f"/v1/provider-credentials/{credential}").status_code == 200
        assert admin.get("/v1/provider-credentials", headers=ACTING_FOR_ACME).status_code == 200


def test_removing_a_tenant_removes_its_keys_credentials_and_secrets(gateway: LiveGateway, fake_openai: FakeOpenAI):
    _tenant, key = new_tenant(gateway, "acme")
    vault = gateway.settings.paths.vault_file
    with tenant_client(gateway, key) as acme, admin_client(gateway) as admin:
        credential = add_credential(acme, fake_openai.base_url)["id"]
        assert credential in vault.read_text()
        assert admin.delete("/v1/admin/tenants/acme").status_code == 204
        assert acme.get("/v1/requests").status_code == 401
        assert credential not in vault.read_text()
        assert admin.get("/v1/admin/tenants/acme").status_code == 404
        assert [t["name"] for t in admin.get("/v1/admin/tenants").json()["data"]] == ["default"]


def test_a_tenants_default_provider_serves_model_names_no_rule_places(gateway: LiveGateway, fake_openai: FakeOpenAI):
    _, key = new_tenant(gateway, "acme")
    hello = [{"role": "user", "content": "Hi"}]
    with tenant_client(gateway, key) as http:
        add_credential(http, fake_openai.base_url, provider="openai")
        add_credential(http, fake_openai.base_url, provider="together")
        unplaced = http.post("/v1/openai/chat/completions", json={"model": "llama-3.1-8b", "messages": hello})
        assert unplaced.status_code == 400 and unplaced.json()["error"]["code"] == "invalid_model"
        assert patch_tenant(gateway, "acme", defaultProvider="together")["defaultProvider"] == "together"
        routed = http.post("/v1/openai/chat/completions", json={"model": "llama-3.1-8b", "messages": hello})
        assert routed.status_code == 200, routed.text
        metrics = routed.json()["killtoken"]["metrics"]
        assert metrics["provider"] == "together"
        assert http.get(f"/v1/requests/{metrics['requestId']}").json()["routed_by"] == "tenant_default"
        assert fake_openai.received[-1].body["model"] == "llama-3.1-8b"
        family = http.post("/v1/openai/chat/completions", json={"model": "gpt-4.1-mini", "messages": hello})
        assert family.json()["killtoken"]["metrics"]["provider"] == "openai", "a known family still decides"
        assert patch_tenant(gateway, "acme", defaultProvider=None)["defaultProvider"] is None
        cleared = http.post("/v1/openai/chat/completions", json={"model": "llama-3.1-8b", "messages": hello})
        assert cleared.status_code == 400
