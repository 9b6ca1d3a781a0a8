"""KillTokenAdminClient: tenants, plans and keys through `/v1/admin/...`, authorised by the admin token."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypedDict, Unpack
from urllib.parse import quote

from killtoken_cli.client import KillTokenClient

_BODY_NAMES = {
    "name": "name",
    "plan": "plan",
    "monthly_requests": "monthlyRequests",
    "rate_limit_per_minute": "rateLimitPerMinute",
}


class TenantLimits(TypedDict, total=False):
    """A tenant's plan (`free`, `pro`, `unlimited`) or custom `monthly_requests`, and its rate limit."""

    plan: str | None
    monthly_requests: int | None
    rate_limit_per_minute: int | None


class TenantChanges(TenantLimits, total=False):
    name: str | None


def _path(tenant: str, *rest: str) -> str:
    return "/".join(["/v1/admin/tenants", quote(tenant, safe=""), *(quote(p, safe="") for p in rest)])


def _tenant_body(fields: Mapping[str, Any]) -> dict[str, Any]:
    return {_BODY_NAMES[k]: v for k, v in fields.items() if v is not None}


class KillTokenAdminClient(KillTokenClient):
    """Construct it with the admin token where `KillTokenClient` takes a tenant key."""

    def list_tenants(self) -> list[dict[str, Any]]:
        return list(self._call("GET", "/v1/admin/tenants")["data"])

    def create_tenant(self, name: str, **limits: Unpack[TenantLimits]) -> dict[str, Any]:
        """Returns `{"tenant": {...}, "key": {..., "key": "kt_..."}}`: the only time the key is shown."""
        result: dict[str, Any] = self._call("POST", "/v1/admin/tenants", json=_tenant_body({"name": name, **limits}))
        return result

    def get_tenant(self, tenant: str) -> dict[str, Any]:
        result: dict[str, Any] = self._call("GET", _path(tenant))
        return result

    def update_tenant(self, tenant: str, **changes: Unpack[TenantChanges]) -> dict[str, Any]:
        result: dict[str, Any] = self._call("PATCH", _path(tenant), json=_tenant_body(changes))
        return result

    def suspend_tenant(self, tenant: str) -> dict[str, Any]:
        result: dict[str, Any] = self._call("POST", _path(tenant, "suspend"))
        return result

    def resume_tenant(self, tenant: str) -> dict[str, Any]:
        result: dict[str, Any] = self._call("POST", _path(tenant, "resume"))
        return result

    def remove_tenant(self, tenant: str) -> None:
        self._call("DELETE", _path(tenant))

    def create_key(self, tenant: str, *, label: str | None = None) -> dict[str, Any]:
        """Returns the key's metadata plus `key`, the plaintext `kt_...` shown this once."""
        result: dict[str, Any] = self._call("POST", _path(tenant, "keys"), json={"label": label or ""})
        return result

    def list_keys(self, tenant: str) -> list[dict[str, Any]]:
        return list(self._call("GET", _path(tenant, "keys"))["data"])

    def revoke_key(self, tenant: str, key_id: str) -> dict[str, Any]:
        result: dict[str, Any] = self._call("DELETE", _path(tenant, "keys", key_id))
        return result
