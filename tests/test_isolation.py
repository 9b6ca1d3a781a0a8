"""Tenant isolation matrix: tenant B's key never lists, reads, tests, changes or deletes tenant A's data.

Rows come from `tests/tenant_endpoints.py`. For a row naming one of A's resources, B gets exactly
what it gets for an id that does not exist (404, so ids are not confirmed); for any row, nothing of
A's (ids, feature tag) is in B's answer. A then uses every row on its own data, which proves each
row reaches a live endpoint and that B's attempts changed nothing.
"""

from __future__ import annotations

import httpx

from tests.admin_helpers import add_credential, new_tenant, tenant_client
from tests.conftest import LiveGateway
from tests.fakes.anthropic_server import FakeAnthropic
from tests.fakes.openai_server import FakeOpenAI
from tests.tenant_endpoints import Owned, chat_payload, in_safe_order


def _unknown(owned: Owned) -> Owned:
    """Ids of the same shape that belong to nobody."""
    return Owned(
        credential=owned.credential[:-6] + "zzzzzz",
        request=owned.request[:-6] + "zzzzzz",
        marker="none",
        template=owned.template[:-6] + "zzzzzz",
        model=owned.model[:-6] + "zzzzzz",
    )


def _without_ids(text: str, owned: Owned) -> str:
    for own_id in (owned.credential, owned.request, owned.template, owned.model):
        text = text.replace(own_id, "<id>")
    return text


def _setup(client: httpx.Client, fake: FakeOpenAI, claude: FakeAnthropic, marker: str) -> Owned:
    model = f"{marker}-model"  # each tenant's credential names its own default model
    credential = add_credential(client, fake.base_url, defaultModel=model)["id"]
    add_credential(client, claude.base_url, provider="anthropic")
    chat = client.post("/v1/chat", json=chat_payload(feature=marker))
    assert chat.status_code == 200, chat.text
    template = client.post(
        "/v1/templates", json={"name": f"{marker}-greeting", "messages": [{"role": "user", "content": "Hi {{name}}"}]}
    )
    assert template.status_code == 201, template.text
    return Owned(
        credential=credential,
        request=chat.headers["x-killtoken-request-id"],
        marker=marker,
        template=template.json()["id"],
        model=model,
    )


def test_tenant_b_can_never_reach_tenant_a_data(
    gateway: LiveGateway, fake_openai: FakeOpenAI, fake_anthropic: FakeAnthropic
):
    _b, b_key = new_tenant(gateway, "tenant-b")
    with gateway.client() as a, tenant_client(gateway, b_key) as b:
        a_owned = _setup(a, fake_openai, fake_anthropic, "tenant-a-private-feature")
        _setup(b, fake_openai, fake_anthropic, "tenant-b-feature")
        a_label = a.get(f"/v1/provider-credentials/{a_owned.credential}").json()["label"]

        unknown = _unknown(a_owned)
        for endpoint in in_safe_order():
            response = b.request(endpoint.method, endpoint.url(a_owned), json=endpoint.body)
            if endpoint.names_a_resource:
                # Exactly the answer for an id nobody owns (which echoes only the id B itself sent).
                nobody = b.request(endpoint.method, endpoint.url(unknown), json=endpoint.body)
                assert response.status_code == nobody.status_code == 404, endpoint
                assert _without_ids(response.text, a_owned) == _without_ids(nobody.text, unknown), endpoint
            else:
                assert response.is_success, (endpoint, response.text)
                for data_of_a in a_owned.ids():
                    assert data_of_a not in response.text, f"{endpoint} showed B some of A's data"

        assert a.get(f"/v1/provider-credentials/{a_owned.credential}").json()["label"] == a_label
        for endpoint in in_safe_order():
            response = a.request(endpoint.method, endpoint.url(a_owned), json=endpoint.body)
            assert response.is_success, (endpoint, response.text)
        assert a.get(f"/v1/provider-credentials/{a_owned.credential}").status_code == 404  # A's own DELETE ran


def test_unauthenticated_calls_leave_no_ledger_rows_and_bad_bodies_are_the_tenants(
    gateway: LiveGateway, fake_openai: FakeOpenAI
):
    wrong_key = "kt_wrong-key-canary-0123456789abcdef"
    with httpx.Client(base_url=gateway.url) as anonymous:
        for authorization in (None, f"Bearer {wrong_key}"):
            headers = {"Authorization": authorization} if authorization else {}
            refused = anonymous.post("/v1/chat", json=chat_payload(feature="anon"), headers=headers)
            assert refused.status_code == 401 and refused.headers["x-killtoken-request-id"].startswith("req_")
    with gateway.client() as client:
        # Auth comes first: a malformed body from a known tenant is that tenant's row, with its feature header.
        bad = client.post("/v1/chat", content=b"{nope", headers={"x-killtoken-feature": "mine"})
        assert bad.status_code == 400
        rows = client.get("/v1/requests").json()["data"]
    assert [(r["id"], r["status"], r["error"]) for r in rows] == [
        (bad.headers["x-killtoken-request-id"], 400, "invalid_json")
    ]
    _, other_key = new_tenant(gateway, "other")
    with tenant_client(gateway, other_key) as intruder:
        assert intruder.get("/v1/requests").json()["data"] == []
    stored = b"".join(path.read_bytes() for path in gateway.settings.paths.ledger_dir.rglob("*") if path.is_file())
    assert b'"tenant_id":null' not in stored.replace(b" ", b"") and b"anon" not in stored
    assert wrong_key.encode() not in stored and gateway.key.encode() not in stored
