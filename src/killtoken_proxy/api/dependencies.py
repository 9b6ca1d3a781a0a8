"""Request-scoped lookups shared by the routers: the runtime and the calling tenant."""

from __future__ import annotations

from fastapi import Request

from killtoken_proxy.gateway.auth import resolve_tenant
from killtoken_proxy.runtime import Runtime
from killtoken_proxy.store.tenants import Tenant


def runtime_of(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def calling_tenant(request: Request) -> Tenant:
    return resolve_tenant(runtime_of(request).tenants, request.headers)
