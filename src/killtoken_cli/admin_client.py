"""KillTokenAdminClient: tenants, plans and keys through `/v1/admin/...`, authorised by the admin token."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypedDict, Unpack
from urllib.parse import quote

from killtoken_cli.client import KillTokenClient, _sync
from killtoken_cli.endpoints import Endpoint, checked

_BODY_NAMES = {
    "name": "name",
    "plan": "plan",
    "monthly_requests": "monthlyRequests",
    "rate_limit_per_minute": "rateLimitPerMinute",
    "default_provider": "defaultProvider",
}
NO_DEFAULT_PROVIDER = ("none", "null")  # `--default-provider none` clears it (no provider has either name)
TENANTS = "/v1/admin/tenants"


class TenantLimits(TypedDict, total=False):
    """A tenant's plan (`free`, `pro`, `unlimited`) or custom `monthly_requests`, and its rate limit."""

    plan: str | None
    monthly_requests: int | None
    rate_limit_per_minute: int | None
    default_provider: str | None


class TenantChanges(TenantLimits, total=False):
    name: str | None


def _path(tenant: str, *rest: str) -> str:
    return "/".join([TENANTS, quote(tenant, safe=""), *(quote(p, safe="") for p in rest)])


def _tenant_body(fields: Mapping[str, Any]) -> dict[str, Any]:
    body = {_BODY_NAMES[k]: v for k, v in fields.items() if v is not None}
    if body.get("defaultProvider") in NO_DEFAULT_PROVIDER:
        body["defaultProvider"] = None
    return body


def _data(reply: Any) -> list[dict[str, Any]]:
    return list(checked(reply)["data"])


def list_tenants() -> Endpoint[list[dict[str, Any]]]:
    return Endpoint("GET", TENANTS, _data)


def create_tenant(name: str, **limits: Unpack[TenantLimits]) -> Endpoint[dict[str, Any]]:
    """Returns `{"tenant": {...}, "key": {..., "key": "kt_..."}}`: the only time the key is shown."""
    return Endpoint("POST", TENANTS, checked, json=_tenant_body({"name": name, **limits}))


def get_tenant(tenant: str) -> Endpoint[dict[str, Any]]:
    return Endpoint("GET", _path(tenant), checked)


def update_tenant(tenant: str, **changes: Unpack[TenantChanges]) -> Endpoint[dict[str, Any]]:
    return Endpoint("PATCH", _path(tenant), checked, json=_tenant_body(changes))


def suspend_tenant(tenant: str) -> Endpoint[dict[str, Any]]:
    return Endpoint("POST", _path(tenant, "suspend"), checked)


def resume_tenant(tenant: str) -> Endpoint[dict[str, Any]]:
    return Endpoint("POST", _path(tenant, "resume"), checked)


def remove_tenant(tenant: str) -> Endpoint[None]:
    return Endpoint("DELETE", _path(tenant), lambda reply: checked(reply) and None)


def create_key(tenant: str, *, label: str | None = None) -> Endpoint[dict[str, Any]]:
    """Returns the key's metadata plus `key`, the plaintext `kt_...` shown this once."""
    return Endpoint("POST", _path(tenant, "keys"), checked, json={"label": label or ""})


def list_keys(tenant: str) -> Endpoint[list[dict[str, Any]]]:
    return Endpoint("GET", _path(tenant, "keys"), _data)


def revoke_key(tenant: str, key_id: str) -> Endpoint[dict[str, Any]]:
    return Endpoint("DELETE", _path(tenant, "keys", key_id), checked)


class KillTokenAdminClient(KillTokenClient):
    """Construct it with the admin token where `KillTokenClient` takes a tenant key."""

    list_tenants = _sync(list_tenants)
    create_tenant = _sync(create_tenant)
    get_tenant = _sync(get_tenant)
    update_tenant = _sync(update_tenant)
    suspend_tenant = _sync(suspend_tenant)
    resume_tenant = _sync(resume_tenant)
    remove_tenant = _sync(remove_tenant)
    create_key = _sync(create_key)
    list_keys = _sync(list_keys)
    revoke_key = _sync(revoke_key)
