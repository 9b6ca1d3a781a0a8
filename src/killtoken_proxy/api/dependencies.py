"""Request-scoped lookups shared by the routers: the runtime, the calling tenant, the JSON body."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any

from fastapi import Request

from killtoken_proxy import json_body as json_reader
from killtoken_proxy.admin_token import ADMIN_TOKEN_PREFIX, is_admin_token
from killtoken_proxy.errors import InvalidRequest, KillTokenError, NotFound
from killtoken_proxy.gateway.auth import bearer_key, refuse_suspended, resolve_tenant
from killtoken_proxy.runtime import Runtime
from killtoken_proxy.store.tenants import Tenant


def runtime_of(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


TENANT_HEADER = "x-killtoken-tenant"


def calling_tenant(request: Request) -> Tenant:
    """The tenant of the `kt_` key; or, with the local admin token, the one named in `x-killtoken-tenant`
    (`kt ... --tenant NAME`). The admin token can already issue any tenant's keys, so this grants nothing new;
    the chat doors never take it (limits and quotas belong to keys). A suspended tenant gets 403 either way:
    suspension stops the tenant, not just its keys (the admin endpoints that resume it take no tenant)."""
    runtime = runtime_of(request)
    presented = bearer_key(request.headers) or ""
    if presented.startswith(ADMIN_TOKEN_PREFIX) and is_admin_token(presented, runtime.admin_token):
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
        return refuse_suspended(tenant)
    return resolve_tenant(runtime.tenants, request.headers)


async def read_body(request: Request) -> bytes:
    """The raw body, or 413 `request_too_large` past the configured cap (see `read_capped`)."""
    limit = runtime_of(request).settings.max_body_bytes
    return await read_capped(request.stream(), request.headers.get("content-length", ""), limit)


async def read_capped(stream: AsyncIterator[bytes], declared_length: str, limit: int) -> bytes:
    """The body, refused with 413 `request_too_large` past `limit`: by its declared Content-Length before
    reading anything, and by the bytes actually received (chunked uploads)."""
    if declared_length.isdigit() and int(declared_length) > limit:
        raise _too_large(limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in stream:
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(limit: int) -> KillTokenError:
    return KillTokenError(
        f"The request body is larger than {limit} bytes, this gateway's limit (KILLTOKEN_MAX_BODY_MB).",
        code="request_too_large",
        status=413,
    )


async def json_body(
    request: Request, *, field_codes: Mapping[str, str] | None = None, parse_float: Callable[[str], Any] | None = None
) -> Any:
    """The parsed JSON body (None when empty), or 400 `invalid_json` / 413 `request_too_large`."""
    return json_reader.parse(await read_body(request), field_codes=field_codes, parse_float=parse_float)
