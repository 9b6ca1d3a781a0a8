"""Tenant administration behind `/v1/admin/...`: validate bodies, change tenants and keys, describe them."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from killtoken_proxy.clock import Clock
from killtoken_proxy.credential_service import CredentialService
from killtoken_proxy.errors import InvalidRequest, KillTokenError, NotFound
from killtoken_proxy.labels import parse_label
from killtoken_proxy.near_miss import did_you_mean
from killtoken_proxy.plans import (
    CUSTOM_PLAN,
    MAX_MONTHLY_REQUESTS,
    MAX_RATE_LIMIT_PER_MINUTE,
    PLANS,
    iso_z,
    next_reset,
    period_of,
)
from killtoken_proxy.providers.registry import CONTRACT_PROVIDERS
from killtoken_proxy.store.plan_usage import PlanUsage
from killtoken_proxy.store.tenants import DEFAULT_TENANT, Tenant, TenantKey, TenantStore

NAME_RULE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def _count(body: Mapping[str, Any], field: str, maximum: int) -> int:
    value = body[field]
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= maximum:
        raise InvalidRequest(f"`{field}` must be a whole number from 1 to {maximum}.", param=field)
    return value


def _only(body: Any, allowed: tuple[str, ...]) -> Mapping[str, Any]:
    if not isinstance(body, dict):
        raise InvalidRequest("The request body must be a JSON object.")
    unknown = sorted(set(body) - set(allowed))
    if unknown:
        raise InvalidRequest(f"Unknown field(s) {', '.join(unknown)}; allowed: {', '.join(allowed)}.", param=unknown[0])
    return body


def _name(value: Any) -> str:
    if not isinstance(value, str) or not NAME_RULE.fullmatch(value) or value.startswith("tn_"):
        raise InvalidRequest(
            "`name` must be 1-64 letters, digits, `.`, `_` or `-`, start with a letter or digit, "
            "and not start with `tn_` (tenant ids do).",
            param="name",
        )
    return value


def _label(body: Mapping[str, Any], field: str) -> str:
    return parse_label(body.get(field) or "", field)


def _routing_changes(body: Mapping[str, Any]) -> dict[str, Any]:
    """`defaultProvider`: the provider for model names no routing rule places; null clears it."""
    if "defaultProvider" not in body:
        return {}
    provider = body["defaultProvider"]
    if provider is not None and provider not in CONTRACT_PROVIDERS:
        raise InvalidRequest(
            f"`defaultProvider` must be null or one of {', '.join(sorted(CONTRACT_PROVIDERS))}"
            f"{did_you_mean(str(provider), CONTRACT_PROVIDERS)}.",
            code="invalid_provider",
            param="defaultProvider",
        )
    return {"default_provider": provider}


def _limit_changes(body: Mapping[str, Any]) -> dict[str, Any]:
    """`plan` (a named plan) or `monthlyRequests` (a custom limit; null for none), and `rateLimitPerMinute`."""
    changes: dict[str, Any] = {}
    if "plan" in body and "monthlyRequests" in body:
        raise InvalidRequest("Give either `plan` or `monthlyRequests`, not both.", param="plan")
    if "plan" in body:
        if body["plan"] not in PLANS:
            raise InvalidRequest(
                f"`plan` must be one of {', '.join(PLANS)} (or set `monthlyRequests` for a custom limit).",
                param="plan",
            )
        changes.update(plan=body["plan"], monthly_requests=PLANS[body["plan"]])
    if "monthlyRequests" in body:
        if body["monthlyRequests"] is None:
            changes.update(plan="unlimited", monthly_requests=None)
        else:
            changes.update(plan=CUSTOM_PLAN, monthly_requests=_count(body, "monthlyRequests", MAX_MONTHLY_REQUESTS))
    if "rateLimitPerMinute" in body:
        changes["rate_limit_per_minute"] = _count(body, "rateLimitPerMinute", MAX_RATE_LIMIT_PER_MINUTE)
    return changes


class TenantAdmin:
    def __init__(self, tenants: TenantStore, credentials: CredentialService, usage: PlanUsage, clock: Clock) -> None:
        self._tenants = tenants
        self._credentials = credentials
        self._usage = usage
        self._clock = clock

    def find(self, ref: str) -> Tenant:
        tenant = self._tenants.find(ref)
        if tenant is None:
            raise NotFound(f"No tenant {ref!r}. `kt tenants list` shows them.", code="tenant_not_found")
        return tenant

    def describe_all(self) -> list[dict[str, Any]]:
        return [self.public(t) for t in self._tenants.all()]

    def create(self, body: Any) -> tuple[Tenant, TenantKey, str]:
        body = _only(body, ("name", "plan", "monthlyRequests", "rateLimitPerMinute", "defaultProvider", "keyLabel"))
        name = _name(body.get("name"))
        self._require_free_name(name)
        changes = _limit_changes(body) | _routing_changes(body)
        tenant, key = self._tenants.create(name, key_label=_label(body, "keyLabel"), **changes)
        return tenant, self._tenants.keys(tenant.id)[0], key

    def update(self, ref: str, body: Any) -> Tenant:
        tenant = self.find(ref)
        body = _only(body, ("name", "plan", "monthlyRequests", "rateLimitPerMinute", "defaultProvider"))
        changes = _limit_changes(body) | _routing_changes(body)
        if "name" in body and body["name"] != tenant.name:
            if tenant.name == DEFAULT_TENANT:
                # kt keeps its own key under this name, and `kt serve` would create another `default`.
                raise InvalidRequest("The `default` tenant keeps its name: `kt` itself uses it.", param="name")
            changes["name"] = _name(body["name"])
            self._require_free_name(changes["name"])
        return self._tenants.update(tenant.id, **changes) if changes else tenant

    def set_status(self, ref: str, status: str) -> Tenant:
        tenant = self.find(ref)
        return self._tenants.update(tenant.id, status=status) if tenant.status != status else tenant

    def remove(self, ref: str) -> None:
        """The tenant, its keys, its credentials and their secrets; its request history stays in the ledger."""
        tenant = self.find(ref)
        for credential in self._credentials.list(tenant.id):
            self._credentials.remove(tenant.id, credential.id)
        self._tenants.remove(tenant.id)
        self._usage.forget(tenant.id)

    def issue_key(self, ref: str, body: Any) -> tuple[TenantKey, str]:
        tenant = self.find(ref)
        body = _only(body or {}, ("label",))
        return self._tenants.issue_key(tenant.id, _label(body, "label"))

    def keys(self, ref: str) -> list[TenantKey]:
        return self._tenants.keys(self.find(ref).id)

    def revoke_key(self, ref: str, key_id: str) -> TenantKey:
        tenant = self.find(ref)
        key = self._tenants.revoke_key(tenant.id, key_id)
        if key is None:
            raise NotFound(f"Tenant {tenant.name!r} has no key {key_id!r}.", code="key_not_found")
        return key

    def public(self, tenant: Tenant) -> dict[str, Any]:
        now = self._clock.now()
        used = self._usage.used(tenant.id, period_of(now))
        limit = tenant.monthly_requests
        keys = self._tenants.keys(tenant.id)
        return {
            "id": tenant.id,
            "name": tenant.name,
            "status": tenant.status,
            "plan": tenant.plan,
            "monthlyRequests": limit,
            "rateLimitPerMinute": tenant.rate_limit_per_minute,
            "defaultProvider": tenant.default_provider,
            "createdAt": tenant.created_at,
            "usage": {
                "period": period_of(now),
                "used": used,
                "limit": limit,
                "remaining": None if limit is None else max(limit - used, 0),
                "resetsAt": iso_z(next_reset(now)),
            },
            "activeKeys": sum(1 for k in keys if k.active),
        }

    def _require_free_name(self, name: str) -> None:
        if self._tenants.by_name(name) is not None:
            raise KillTokenError(f"A tenant named {name!r} already exists.", code="tenant_exists", status=409)
