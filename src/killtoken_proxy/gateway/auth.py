"""Tenant authentication: `Bearer kt_...` (or `x-api-key` on the Anthropic door) to a tenant, or 401/403."""

from __future__ import annotations

from collections.abc import Mapping

from killtoken_proxy.errors import KillTokenError, TenantNotResolved
from killtoken_proxy.store.tenants import Tenant, TenantStore


def bearer_key(headers: Mapping[str, str], *, allow_x_api_key: bool = False) -> str | None:
    scheme, _, token = headers.get("authorization", "").partition(" ")
    candidates = [token.strip()] if scheme.lower() == "bearer" and token.strip() else []
    if allow_x_api_key and headers.get("x-api-key", "").strip():
        candidates.append(headers["x-api-key"].strip())
    # The Anthropic SDK sends both headers when both are configured (an ANTHROPIC_AUTH_TOKEN left in the
    # environment, say): the `kt_` one is meant for us.
    return next((key for key in candidates if key.startswith("kt_")), candidates[0] if candidates else None)


def _unresolved_reason(tenants: TenantStore, key: str) -> str:
    new_key = "`kt keys create --tenant NAME` issues a new key"
    if not key.startswith("kt_"):
        return "The tenant key is not valid (a KillToken key starts with `kt_`; provider keys do not go here)."
    if tenants.was_revoked(key):
        return f"This tenant key has been revoked; {new_key}."
    return f"The tenant key is not valid (no tenant has this key); {new_key}."


def resolve_tenant(tenants: TenantStore, headers: Mapping[str, str], *, allow_x_api_key: bool = False) -> Tenant:
    key = bearer_key(headers, allow_x_api_key=allow_x_api_key)
    if key is None:
        where = (
            "`Authorization: Bearer kt_...` or `x-api-key: kt_...`"
            if allow_x_api_key
            else "`Authorization: Bearer kt_...`"
        )
        raise TenantNotResolved(f"Missing {where} header with your KillToken tenant key.")
    tenant = tenants.resolve(key) if key.startswith("kt_") else None
    if tenant is None:
        raise TenantNotResolved(_unresolved_reason(tenants, key))
    return refuse_suspended(tenant)


def refuse_suspended(tenant: Tenant) -> Tenant:
    """The tenant, or 403 `tenant_suspended`: however the caller named it (its key, or the admin token and
    `x-killtoken-tenant`), a suspended tenant is served nowhere but on the admin endpoints that manage it."""
    if tenant.suspended:
        raise KillTokenError(
            f"Tenant `{tenant.name}` is suspended; an admin can lift it with `kt tenants resume {tenant.name}`.",
            code="tenant_suspended",
            status=403,
        )
    return tenant
