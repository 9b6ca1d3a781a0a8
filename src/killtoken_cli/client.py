"""KillTokenClient: the typed API client the CLI uses, and the public Python SDK (spec Path 4)."""

from __future__ import annotations

from typing import Any

import httpx

_BODY_NAMES = {
    "cache_policy": "cachePolicy",
    "idempotency_key": "idempotencyKey",
    "optimization_mode": "optimizationMode",
}


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
        return response.json() if response.content else None

    # -- chat (Path 4) ----------------------------------------------------------------------------
    def chat(
        self,
        *,
        provider: str | None = None,
        model: str | None = None,
        messages: list[dict[str, Any]] | None = None,
        template: str | dict[str, Any] | None = None,
        variables: dict[str, Any] | None = None,
        **options: Any,
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """Returns (provider response, killtoken metrics).

        With `template` (an id, a name, or {"name"|"id": ..., "version": N}) and its `variables`, the template
        supplies the messages (yours are appended) and its default provider, model and options.
        """
        given = {
            "provider": provider,
            "model": model,
            "messages": messages,
            "template": template,
            "variables": variables,
        }
        body: dict[str, Any] = {k: v for k, v in given.items() if v is not None}
        body.update((_BODY_NAMES.get(k, k), v) for k, v in options.items())
        response = self._call("POST", "/v1/chat", json=body)
        metrics = response.pop("killtoken", {}).get("metrics", {})
        return response, metrics

    # -- prompt optimization --------------------------------------------------------------------
    def preview_optimization(self, request: dict[str, Any], *, mode: str | None = None) -> dict[str, Any]:
        """What `mode` (default: the request's own, else balanced) would do to a chat request; nothing is sent."""
        body = {**request, "optimizationMode": mode} if mode else request
        result: dict[str, Any] = self._call("POST", "/v1/optimize/preview", json=body)
        return result

    # -- prompt templates -----------------------------------------------------------------------
    def add_template(self, name: str, messages: list[dict[str, Any]], **defaults: Any) -> dict[str, Any]:
        """defaults: description, provider, model, optimization_mode, cache_policy."""
        body = {"name": name, "messages": messages, **{_BODY_NAMES.get(k, k): v for k, v in defaults.items()}}
        result: dict[str, Any] = self._call("POST", "/v1/templates", json=body)
        return result

    def list_templates(self) -> list[dict[str, Any]]:
        return list(self._call("GET", "/v1/templates")["data"])

    def get_template(self, ref: str, *, version: int | None = None) -> dict[str, Any]:
        params = {"version": version} if version is not None else {}
        result: dict[str, Any] = self._call("GET", f"/v1/templates/{ref}", params=params)
        return result

    def update_template(self, ref: str, **changes: Any) -> dict[str, Any]:
        """Makes a new version; changes: messages, name, description, provider, model, optimization_mode, ..."""
        body = {_BODY_NAMES.get(k, k): v for k, v in changes.items()}
        result: dict[str, Any] = self._call("PATCH", f"/v1/templates/{ref}", json=body)
        return result

    def render_template(
        self, ref: str, variables: dict[str, Any] | None = None, *, version: int | None = None
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"variables": variables or {}}
        if version is not None:
            body["version"] = version
        result: dict[str, Any] = self._call("POST", f"/v1/templates/{ref}/render", json=body)
        return result

    def remove_template(self, ref: str) -> None:
        self._call("DELETE", f"/v1/templates/{ref}")

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
    def list_requests(
        self, *, limit: int = 50, feature: str | None = None, provider: str | None = None, before: str | None = None
    ) -> dict[str, Any]:
        params = {
            k: v
            for k, v in {"limit": limit, "feature": feature, "provider": provider, "before": before}.items()
            if v is not None
        }
        result: dict[str, Any] = self._call("GET", "/v1/requests", params=params)
        return result

    def get_request(self, request_id: str) -> dict[str, Any]:
        result: dict[str, Any] = self._call("GET", f"/v1/requests/{request_id}")
        return result

    def ready(self) -> tuple[bool, dict[str, Any]]:
        response = self._http.get("/ready")
        return response.status_code == 200, response.json()
