"""Request-scoped lookups shared by the routers: the runtime, the calling tenant, the JSON body."""

from __future__ import annotations

import hmac
import json
from typing import Any

from fastapi import Request

from killtoken_proxy.admin_token import ADMIN_TOKEN_PREFIX
from killtoken_proxy.errors import InvalidRequest, NotFound
from killtoken_proxy.gateway.auth import bearer_key, resolve_tenant
from killtoken_proxy.runtime import Runtime
from killtoken_proxy.store.tenants import Tenant


def runtime_of(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


TENANT_HEADER = "x-killtoken-tenant"


def calling_tenant(request: Request) -> Tenant:
    """The tenant of the `kt_` key; or, with the local admin token, the one named in `x-killtoken-tenant`
    (`kt ... --tenant NAME`). The admin token can already issue any tenant's keys, so this grants nothing new;
    the chat doors never take it (limits and quotas belong to keys)."""
    runtime = runtime_of(request)
    presented = bearer_key(request.headers) or ""
    if presented.startswith(ADMIN_TOKEN_PREFIX) and hmac.compare_digest(
        presented.encode("utf-8"), runtime.admin_token.encode("utf-8")
    ):
        ref = request.headers.get(TENANT_HEADER, "").strip()
        if not ref:
            raise InvalidRequest(
                f"With the admin token, name the tenant in the `{TENANT_HEADER}` header (a name or tn_ id).",
                code="invalid_request",
                param=TENANT_HEADER,
            )
        tenant = runtime.tenants.find(ref)
        if tenant is None:
            raise NotFound(f"No tenant {ref!r}; `kt tenants list` shows them.", code="tenant_not_found")
        return tenant
    return resolve_tenant(runtime.tenants, request.headers)


async def json_body(request: Request) -> Any:
    """The parsed JSON body (None when empty), or 400 `invalid_json`."""
    raw = await request.body()
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise InvalidRequest("The request body is not valid JSON.", code="invalid_json") from None
