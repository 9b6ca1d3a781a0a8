"""Request-scoped lookups shared by the routers: the runtime, the calling tenant, the JSON body."""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request

from killtoken_proxy.errors import InvalidRequest
from killtoken_proxy.gateway.auth import resolve_tenant
from killtoken_proxy.runtime import Runtime
from killtoken_proxy.store.tenants import Tenant


def runtime_of(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def calling_tenant(request: Request) -> Tenant:
    return resolve_tenant(runtime_of(request).tenants, request.headers)


async def json_body(request: Request) -> Any:
    """The parsed JSON body (None when empty), or 400 `invalid_json`."""
    raw = await request.body()
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise InvalidRequest("The request body is not valid JSON.", code="invalid_json") from None
