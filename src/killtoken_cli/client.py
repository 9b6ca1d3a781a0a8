"""KillTokenClient and AsyncKillTokenClient: the public Python SDK (contract Path 4), also the CLI's API client.

Both clients share every call's definition (`endpoints`) and error mapping (`exceptions`); they
differ only in how the HTTP request is sent.
"""

from __future__ import annotations

import functools
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from typing import Any, Concatenate, ParamSpec, Self, TypeVar

import httpx

from killtoken_cli import endpoints, report_endpoints
from killtoken_cli.endpoints import ChatResult, Endpoint, Reply
from killtoken_cli.exceptions import KillTokenAPIError, KillTokenConnectionError, KillTokenError, KillTokenTimeoutError

__all__ = ["AsyncKillTokenClient", "ChatResult", "KillTokenAPIError", "KillTokenClient", "KillTokenConnectionError"]

DEFAULT_BASE_URL = "http://127.0.0.1:8787"
P = ParamSpec("P")
T = TypeVar("T")


def _options(base_url: str | None, api_key: str | None, default_headers: Mapping[str, str] | None) -> dict[str, Any]:
    """httpx client options from the arguments, else `KILLTOKEN_BASE_URL` / `KILLTOKEN_API_KEY`."""
    url = (base_url or os.environ.get("KILLTOKEN_BASE_URL") or DEFAULT_BASE_URL).strip().rstrip("/")
    # KILLTOKEN_BASE_URL may hold the OpenAI SDK's base (`.../v1/openai`); this client wants the root.
    for suffix in ("/v1/openai", "/v1"):
        url = url.removesuffix(suffix)
    key = api_key or os.environ.get("KILLTOKEN_API_KEY", "").strip()
    if not key:
        raise KillTokenError("No KillToken API key: pass api_key='kt_...' or set KILLTOKEN_API_KEY.")
    return {"base_url": url, "headers": {**(default_headers or {}), "Authorization": f"Bearer {key}"}}


def _request(endpoint: Endpoint[Any]) -> dict[str, Any]:
    return {"method": endpoint.method, "url": endpoint.path, "json": endpoint.json, "params": endpoint.params}


def _reply(response: httpx.Response) -> Reply:
    return Reply(response.status_code, response.headers, response.content)


def _streamed_reply(response: httpx.Response) -> Reply:
    """Status and headers of a streamed answer; its body only when it is an (already read) error."""
    return Reply(response.status_code, response.headers, response.content if response.status_code >= 400 else b"")


@contextmanager
def _transport_errors(http: httpx.Client | httpx.AsyncClient) -> Iterator[None]:
    """httpx's connection and timeout errors as the SDK's own, naming the address that was tried."""
    try:
        yield
    except httpx.TimeoutException as exc:
        url = str(http.base_url).rstrip("/")
        raise KillTokenTimeoutError(f"The KillToken gateway at {url} did not answer in time ({exc}).", url) from exc
    except httpx.TransportError as exc:
        url = str(http.base_url).rstrip("/")
        reason = str(exc) or type(exc).__name__
        message = f"Cannot reach the KillToken gateway at {url} ({reason}). Is `kt serve` running there?"
        raise KillTokenConnectionError(message, url) from exc


def _sync(build: Callable[P, Endpoint[T]]) -> Callable[Concatenate[KillTokenClient, P], T]:
    @functools.wraps(build)
    def method(self: KillTokenClient, /, *args: P.args, **kwargs: P.kwargs) -> T:
        endpoint = build(*args, **kwargs)
        with _transport_errors(self._http):
            response = self._http.request(**_request(endpoint))
        return endpoint.parse(_reply(response))

    return method


def _async(build: Callable[P, Endpoint[T]]) -> Callable[Concatenate[AsyncKillTokenClient, P], Awaitable[T]]:
    @functools.wraps(build)
    async def method(self: AsyncKillTokenClient, /, *args: P.args, **kwargs: P.kwargs) -> T:
        endpoint = build(*args, **kwargs)
        with _transport_errors(self._http):
            response = await self._http.request(**_request(endpoint))
        return endpoint.parse(_reply(response))

    return method


class KillTokenClient:
    """`KillTokenClient(base_url=..., api_key=...)`; both default to KILLTOKEN_BASE_URL / KILLTOKEN_API_KEY."""

    def __init__(
        self,
        base_url: str | None = None,
        api_key: str | None = None,
        *,
        timeout: float = 300.0,
        default_headers: Mapping[str, str] | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._http = httpx.Client(timeout=timeout, transport=transport, **_options(base_url, api_key, default_headers))

    chat = _sync(endpoints.chat)
    add_credential = _sync(endpoints.add_credential)
    list_credentials = _sync(endpoints.list_credentials)
    get_credential = _sync(endpoints.get_credential)
    update_credential = _sync(endpoints.update_credential)
    remove_credential = _sync(endpoints.remove_credential)
    test_credential = _sync(endpoints.test_credential)
    get_request = _sync(endpoints.get_request)
    cache_stats = _sync(endpoints.cache_stats)
    clear_cache = _sync(endpoints.clear_cache)
    providers = _sync(endpoints.providers)
    preview_optimization = _sync(endpoints.preview_optimization)
    add_template = _sync(endpoints.add_template)
    list_templates = _sync(endpoints.list_templates)
    get_template = _sync(endpoints.get_template)
    update_template = _sync(endpoints.update_template)
    render_template = _sync(endpoints.render_template)
    remove_template = _sync(endpoints.remove_template)
    list_requests = _sync(report_endpoints.list_requests)
    ledger_settings = _sync(report_endpoints.ledger_settings)
    analytics_summary = _sync(report_endpoints.analytics_summary)
    export_analytics = _sync(report_endpoints.export_analytics)
    roi_report = _sync(report_endpoints.roi_report)
    list_prices = _sync(report_endpoints.list_prices)
    get_price = _sync(report_endpoints.get_price)
    set_price = _sync(report_endpoints.set_price)
    remove_price = _sync(report_endpoints.remove_price)
    ready = _sync(endpoints.ready)

    @contextmanager
    def export_requests(self, fmt: str = "csv", **filters: str | None) -> Iterator[tuple[int | None, Iterator[bytes]]]:
        """Stream `/v1/exports/requests.csv` (or `.ndjson`): yields (expected rows, an upper bound; chunks)."""
        endpoint = report_endpoints.export_requests(fmt, **filters)
        with _transport_errors(self._http), self._http.stream(**_request(endpoint)) as response:
            if response.status_code >= 400:
                response.read()
            yield endpoint.parse(_streamed_reply(response)), response.iter_bytes()

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncKillTokenClient:
    """The same calls as `KillTokenClient`, awaitable: `response, metrics = await client.chat(...)`."""

    def __init__(
        self,
        base_url: str | None = None,
        api_key: str | None = None,
        *,
        timeout: float = 300.0,
        default_headers: Mapping[str, str] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        options = _options(base_url, api_key, default_headers)
        self._http = httpx.AsyncClient(timeout=timeout, transport=transport, **options)

    chat = _async(endpoints.chat)
    add_credential = _async(endpoints.add_credential)
    list_credentials = _async(endpoints.list_credentials)
    get_credential = _async(endpoints.get_credential)
    update_credential = _async(endpoints.update_credential)
    remove_credential = _async(endpoints.remove_credential)
    test_credential = _async(endpoints.test_credential)
    get_request = _async(endpoints.get_request)
    cache_stats = _async(endpoints.cache_stats)
    clear_cache = _async(endpoints.clear_cache)
    providers = _async(endpoints.providers)
    preview_optimization = _async(endpoints.preview_optimization)
    add_template = _async(endpoints.add_template)
    list_templates = _async(endpoints.list_templates)
    get_template = _async(endpoints.get_template)
    update_template = _async(endpoints.update_template)
    render_template = _async(endpoints.render_template)
    remove_template = _async(endpoints.remove_template)
    list_requests = _async(report_endpoints.list_requests)
    ledger_settings = _async(report_endpoints.ledger_settings)
    analytics_summary = _async(report_endpoints.analytics_summary)
    export_analytics = _async(report_endpoints.export_analytics)
    roi_report = _async(report_endpoints.roi_report)
    list_prices = _async(report_endpoints.list_prices)
    get_price = _async(report_endpoints.get_price)
    set_price = _async(report_endpoints.set_price)
    remove_price = _async(report_endpoints.remove_price)
    ready = _async(endpoints.ready)

    @asynccontextmanager
    async def export_requests(
        self, fmt: str = "csv", **filters: str | None
    ) -> AsyncIterator[tuple[int | None, AsyncIterator[bytes]]]:
        """`async with client.export_requests("csv") as (expected, chunks)`, then `async for chunk in chunks`."""
        endpoint = report_endpoints.export_requests(fmt, **filters)
        with _transport_errors(self._http):
            async with self._http.stream(**_request(endpoint)) as response:
                if response.status_code >= 400:
                    await response.aread()
                yield endpoint.parse(_streamed_reply(response)), response.aiter_bytes()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> AsyncKillTokenClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
