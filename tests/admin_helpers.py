"""Helpers for tests that administer a live gateway: the admin client and a second tenant with its key."""

from __future__ import annotations

from typing import Any

import httpx

from killtoken_proxy.admin_token import read_admin_token
from tests.conftest import PROVIDER_SECRET, LiveGateway


def admin_client(gateway: LiveGateway) -> httpx.Client:
    token = read_admin_token(gateway.settings.paths.admin_token_file)
    assert token, "the daemon creates the admin token when it opens the store"
    return httpx.Client(base_url=gateway.url, headers={"Authorization": f"Bearer {token}"}, timeout=30)


def new_tenant(gateway: LiveGateway, name: str, **body: Any) -> tuple[dict[str, Any], str]:
    """Create a tenant through the admin API; returns its description and its plaintext key."""
    with admin_client(gateway) as admin:
        response = admin.post("/v1/admin/tenants", json={"name": name, **body})
    assert response.status_code == 201, response.text
    return response.json()["tenant"], response.json()["key"]["key"]


def tenant_client(gateway: LiveGateway, key: str) -> httpx.Client:
    return httpx.Client(base_url=gateway.url, headers={"Authorization": f"Bearer {key}"}, timeout=30)


def add_credential(
    client: httpx.Client,
    base_url: str,
    secret: str = PROVIDER_SECRET,
    *,
    provider: str = "openai_compatible",
    **config: str,
) -> dict[str, Any]:
    response = client.post(
        "/v1/provider-credentials",
        json={"provider": provider, "apiKey": secret, "config": {"baseUrl": base_url, **config}},
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def chat_body(content: str = "Capital of France?") -> dict[str, Any]:
    return {
        "provider": "openai_compatible",
        "model": "llama-3.1-8b",
        "messages": [{"role": "user", "content": content}],
    }


def patch_tenant(gateway: LiveGateway, ref: str, **body: Any) -> dict[str, Any]:
    with admin_client(gateway) as admin:
        response = admin.patch(f"/v1/admin/tenants/{ref}", json=body)
    assert response.status_code == 200, response.text
    return dict(response.json())
