"""Request-scoped lookups shared by the routers: the runtime, the calling tenant, the JSON body."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from fastapi import Request

from killtoken_proxy import json_body as json_reader
from killtoken_proxy.errors import KillTokenError
from killtoken_proxy.gateway.auth import resolve_tenant
from killtoken_proxy.runtime import Runtime
from killtoken_proxy.store.tenants import Tenant


def runtime_of(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def calling_tenant(request: Request) -> Tenant:
    return resolve_tenant(runtime_of(request).tenants, request.headers)


async def read_body(request: Request) -> bytes:
    """The raw body, refused with 413 `request_too_large` past the configured cap: by its declared
    Content-Length before reading anything, and by the bytes actually received (chunked uploads)."""
    limit = runtime_of(request).settings.max_body_bytes
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
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
