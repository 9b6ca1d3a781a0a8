"""KillTokenClient: the typed API client the CLI uses, and the public Python SDK (spec Path 4)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote

import httpx

_BODY_NAMES = {
    "cache_policy": "cachePolicy",
    "idempotency_key": "idempotencyKey",
    "optimization_mode": "optimizationMode",
}


_QUERY_NAMES = {"start": "from", "end": "to"}  # `from` is a Python keyword


def _params(**values: Any) -> dict[str, Any]:
    return {_QUERY_NAMES.get(k, k): v for k, v in values.items() if v is not None}


def _price_path(provider: str, model: str) -> str:
    return f"/v1/prices/{quote(provider, safe='')}/{quote(model, safe='/')}"


class KillTokenAPIError(Exception):
    """An error answered by the gateway, in the spec's shape: HTTP status, `error` code, message."""

    def __init__(self, status: int, code: str, message: str, request_id: str | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.request_id = request_id


class KillTokenClient:
    def __init__(
        self,
        base_url: str = "http://127.0.0.1:8787",
        api_key: str | None = None,
        *,
        timeout: float = 300.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._http = httpx.Client(base_url=base_url, headers=headers, timeout=timeout, transport=transport)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> KillTokenClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self._http.request(method, path, **kwargs)
        if response.status_code >= 400:
            self._raise_for(response)
        return response.json() if response.content else None

    @staticmethod
    def _raise_for(response: httpx.Response) -> None:
        try:
            body = response.json()
        except ValueError:
            body = {}
        code = body.get("error") if isinstance(body, dict) else None
        message = body.get("message") if isinstance(body, dict) else None
        raise KillTokenAPIError(
            response.status_code,
            code if isinstance(code, str) else "http_error",
            message if isinstance(message, str) else response.text[:300],
            response.headers.get("x-killtoken-request-id"),
        )

    # -- chat (Path 4) ----------------------------------------------------------------------------
    def chat(
        self, *, provider: str, model: str, messages: list[dict[str, Any]], **options: Any
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """Returns (provider response, killtoken metrics)."""
        body: dict[str, Any] = {"provider": provider, "model": model, "messages": messages}
        body.update((_BODY_NAMES.get(k, k), v) for k, v in options.items())
        response = self._call("POST", "/v1/chat", json=body)
        metrics = response.pop("killtoken", {}).get("metrics", {})
        return response, metrics

    # -- provider credentials -------------------------------------------------------------------
    def add_credential(
        self,
        provider: str,
        *,
        api_key: str | None = None,
        secrets: dict[str, str] | None = None,
        config: dict[str, Any] | None = None,
        label: str | None = None,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"provider": provider}
        if api_key is not None:
            body["apiKey"] = api_key
        if secrets is not None:
            body["secrets"] = secrets
        if config:
            body["config"] = config
        if label:
            body["label"] = label
        result: dict[str, Any] = self._call("POST", "/v1/provider-credentials", json=body)
        return result

    def list_credentials(self) -> list[dict[str, Any]]:
        return list(self._call("GET", "/v1/provider-credentials")["data"])

    def remove_credential(self, credential_id: str) -> None:
        self._call("DELETE", f"/v1/provider-credentials/{credential_id}")

    # -- request history ------------------------------------------------------------------------
    def list_requests(self, *, limit: int = 50, before: str | None = None, **filters: str | None) -> dict[str, Any]:
        """One page, newest first. Filters: feature, provider, model, status, cache_status, start, end, period."""
        params = _params(limit=limit, before=before, **filters)
        result: dict[str, Any] = self._call("GET", "/v1/requests", params=params)
        return result

    def get_request(self, request_id: str) -> dict[str, Any]:
        result: dict[str, Any] = self._call("GET", f"/v1/requests/{request_id}")
        return result

    def ledger_settings(self, *, store_content: bool | None = None) -> dict[str, Any]:
        """Read the tenant's ledger settings, or change whether message content is stored."""
        if store_content is None:
            result: dict[str, Any] = self._call("GET", "/v1/ledger/settings")
        else:
            result = self._call("PATCH", "/v1/ledger/settings", json={"storeContent": store_content})
        return result

    @contextmanager
    def export_requests(self, fmt: str = "csv", **filters: str | None) -> Iterator[tuple[int | None, Iterator[bytes]]]:
        """Stream `/v1/exports/requests.csv` (or `.ndjson`): yields (expected rows, an upper bound; chunks)."""
        path = "/v1/exports/requests.csv" if fmt == "csv" else "/v1/exports/requests.ndjson"
        with self._http.stream("GET", path, params=_params(**filters)) as response:
            if response.status_code >= 400:
                response.read()
                self._raise_for(response)
            expected = response.headers.get("x-killtoken-expected-rows")
            yield (int(expected) if expected and expected.isdigit() else None), response.iter_bytes()

    # -- analytics and reports ------------------------------------------------------------------
    def analytics_summary(self, **options: str | None) -> dict[str, Any]:
        """Options: start, end, period (30d by default), feature."""
        result: dict[str, Any] = self._call("GET", "/v1/analytics/summary", params=_params(**options))
        return result

    def export_analytics(self, **options: str | None) -> dict[str, Any]:
        result: dict[str, Any] = self._call("GET", "/v1/exports/analytics.json", params=_params(**options))
        return result

    def roi_report(self, *, format: str = "json", **options: str | None) -> Any:
        """JSON as a dict; `format="md"` or `"csv"` as text."""
        params = _params(format=format, **options)
        if format == "json":
            return self._call("GET", "/v1/reports/roi", params=params)
        response = self._http.get("/v1/reports/roi", params=params)
        if response.status_code >= 400:
            self._raise_for(response)
        return response.text

    # -- prices ---------------------------------------------------------------------------------
    def list_prices(self) -> list[dict[str, Any]]:
        return list(self._call("GET", "/v1/prices")["data"])

    def get_price(self, provider: str, model: str) -> dict[str, Any]:
        result: dict[str, Any] = self._call("GET", _price_path(provider, model))
        return result

    def set_price(
        self,
        provider: str,
        model: str,
        *,
        input: str,
        output: str,
        cached_input: str | None = None,
        cache_write: str | None = None,
    ) -> dict[str, Any]:
        """Rates in USD per 1M tokens, as decimal strings (no float rounding)."""
        body = {"input": input, "output": output, "cachedInput": cached_input, "cacheWrite": cache_write}
        result: dict[str, Any] = self._call(
            "PUT", _price_path(provider, model), json={k: v for k, v in body.items() if v is not None}
        )
        return result

    def remove_price(self, provider: str, model: str) -> None:
        self._call("DELETE", _price_path(provider, model))

    def ready(self) -> tuple[bool, dict[str, Any]]:
        response = self._http.get("/ready")
        return response.status_code == 200, response.json()
