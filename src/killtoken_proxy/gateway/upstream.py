"""Send one request to a provider over the shared client; turn transport failures into gateway errors."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from killtoken_proxy import json_codec
from killtoken_proxy.errors import KillTokenError, UpstreamError
from killtoken_proxy.providers.base import UpstreamRequest
from killtoken_proxy.upstream_client import UpstreamClient

RETRY_HEADERS = ("retry-after", "retry-after-ms", "x-should-retry")


@dataclass(frozen=True)
class UpstreamResponse:
    status: int
    headers: Mapping[str, str]
    body: Any  # parsed JSON, or None when the body was not JSON
    text: str
    elapsed_ms: float


async def send(
    client: httpx.AsyncClient, request: UpstreamRequest, provider: str, *, timeout: float | None = None
) -> UpstreamResponse:
    """`timeout` overrides the client's (a credential test should not wait minutes)."""
    started = time.perf_counter()
    try:
        if isinstance(client, UpstreamClient):  # the daemon's client: straight onto aiohttp (a third of the CPU)
            status, headers, content = await client.exchange(
                request.url, request.body, request.headers, timeout=timeout
            )
        else:
            response = await client.post(
                request.url,
                content=request.body,
                headers=request.headers,
                timeout=httpx.USE_CLIENT_DEFAULT if timeout is None else timeout,
            )
            status, headers, content = response.status_code, response.headers, response.content
    except httpx.TimeoutException:
        raise UpstreamError(f"{provider} did not answer in time.", code="upstream_timeout", status=504) from None
    except httpx.ConnectError:
        raise UpstreamError(
            f"Could not connect to {provider} at {httpx.URL(request.url).host}.",
            code="upstream_unreachable",
        ) from None
    except httpx.HTTPError as exc:
        raise UpstreamError(f"The call to {provider} failed: {type(exc).__name__}.") from None
    elapsed_ms = (time.perf_counter() - started) * 1000
    try:
        body = json_codec.loads(content) if content else None
    except ValueError:
        body = None
    return UpstreamResponse(status, headers, body, content.decode("utf-8", "replace"), elapsed_ms)


def first_message(body: Any) -> str | None:
    """The first human-readable message in an error body of any common shape."""
    if isinstance(body, str):
        return body or None
    if isinstance(body, dict):
        for key in ("error", "message", "detail", "msg"):
            if key in body:
                found = first_message(body[key])
                if found:
                    return found
    if isinstance(body, list) and body:
        return first_message(body[0])
    return None


def error_from_status(provider: str, status: int, message: str | None, headers: Mapping[str, str]) -> KillTokenError:
    """Keep the upstream status where it means something to the client (architecture section 5)."""
    error = _error_for_status(provider, status, message)
    # The provider's own retry advice reaches the client's SDK, which obeys it (e.g. no retry on a spent quota).
    error.headers.update({name: headers[name] for name in RETRY_HEADERS if name in headers})
    return error


def _error_for_status(provider: str, status: int, message: str | None) -> KillTokenError:
    detail = f"{provider} returned HTTP {status}" + (f": {message}" if message else ".")
    if status == 429:
        return UpstreamError(detail, code="upstream_rate_limited", status=429)
    if status in (401, 403):
        return UpstreamError(
            detail + " The stored provider credential was rejected; replace it with `kt credentials add`.",
            code="provider_auth_failed",
            status=status,
        )
    if 400 <= status < 500:
        return UpstreamError(detail, code="upstream_bad_request", status=status)
    if status == 529:
        return UpstreamError(detail, code="upstream_overloaded", status=503)
    return UpstreamError(detail, code="upstream_error", status=502)
