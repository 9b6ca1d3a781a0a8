"""Each API call as data: what to send and how to read the answer, shared by the sync and async clients."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, NamedTuple, TypeVar

from killtoken_cli.exceptions import error_for

T = TypeVar("T")


@dataclass(frozen=True)
class Reply:
    status: int
    headers: Mapping[str, str]
    content: bytes


@dataclass(frozen=True)
class Endpoint(Generic[T]):
    method: str
    path: str
    parse: Callable[[Reply], T]
    json: Any = None
    params: Mapping[str, Any] | None = None


class ChatResult(NamedTuple):
    """`response, metrics = client.chat(...)`: the provider's answer, and KillToken's `killtoken.metrics`."""

    response: dict[str, Any]
    metrics: dict[str, Any]


def _body(reply: Reply) -> Any:
    try:
        return json.loads(reply.content) if reply.content else None
    except ValueError:
        return None


def checked(reply: Reply) -> Any:
    """The JSON answer, or the typed error for it."""
    body = _body(reply)
    if reply.status >= 400:
        raise error_for(reply.status, body, reply.headers, reply.content.decode("utf-8", "replace"))
    return body


def _chat_result(reply: Reply) -> ChatResult:
    response = dict(checked(reply))
    metrics = response.pop("killtoken", {}).get("metrics", {})
    return ChatResult(response, metrics)


def chat(
    *,
    provider: str | None = None,
    model: str | None = None,
    messages: list[dict[str, Any]] | None = None,
    template: str | dict[str, Any] | None = None,
    variables: dict[str, Any] | None = None,
    metadata: dict[str, Any] | None = None,
    feature: str | None = None,
    cache_policy: dict[str, Any] | str | None = None,
    idempotency_key: str | None = None,
    optimization_mode: str | None = None,
    **params: Any,
) -> Endpoint[ChatResult]:
    """One chat call on the native door (contract Path 2/4). `params` are generation parameters
    (`temperature`, `max_tokens`, ...); `feature` is shorthand for `metadata={"feature": ...}`;
    `cache_policy` may be the mode alone (`"read_write"`). With `template` (an id, a name, or
    {"name"|"id": ..., "version": N}) and its `variables`, the template supplies the messages (yours are
    appended) and its default provider, model and options. Without `provider` (and no template), the
    gateway routes by the model's name, as on the OpenAI door (README: routing)."""
    given = {"provider": provider, "model": model, "messages": messages, "template": template, "variables": variables}
    body: dict[str, Any] = {**{k: v for k, v in given.items() if v is not None}, **params}
    if metadata is not None or feature is not None:
        body["metadata"] = {**(metadata or {}), **({"feature": feature} if feature is not None else {})}
    if cache_policy is not None:
        body["cachePolicy"] = {"exactCache": cache_policy} if isinstance(cache_policy, str) else cache_policy
    if idempotency_key is not None:
        body["idempotencyKey"] = idempotency_key
    if optimization_mode is not None:
        body["optimizationMode"] = optimization_mode
    # The native door requires a provider; the OpenAI door takes the same fields and routes by model name.
    path = "/v1/chat" if provider is not None or template is not None else "/v1/openai/chat/completions"
    return Endpoint("POST", path, _chat_result, json=body)


def add_credential(
    provider: str,
    *,
    api_key: str | None = None,
    secrets: dict[str, str] | None = None,
    config: dict[str, Any] | None = None,
    label: str | None = None,
) -> Endpoint[dict[str, Any]]:
    body: dict[str, Any] = {"provider": provider}
    if api_key is not None:
        body["apiKey"] = api_key
    if secrets is not None:
        body["secrets"] = secrets
    if config:
        body["config"] = config
    if label:
        body["label"] = label
    return Endpoint("POST", "/v1/provider-credentials", checked, json=body)


def providers() -> Endpoint[list[dict[str, Any]]]:
    """Each provider with the credential fields it needs (secretFields, requiredConfig, ...)."""
    return Endpoint("GET", "/v1/providers", lambda reply: list(checked(reply)["data"]))


def list_credentials() -> Endpoint[list[dict[str, Any]]]:
    return Endpoint("GET", "/v1/provider-credentials", lambda reply: list(checked(reply)["data"]))


def get_credential(credential_id: str) -> Endpoint[dict[str, Any]]:
    return Endpoint("GET", f"/v1/provider-credentials/{credential_id}", checked)


def update_credential(
    credential_id: str,
    *,
    api_key: str | None = None,
    secrets: dict[str, str] | None = None,
    label: str | None = None,
    config: dict[str, Any] | None = None,
    active: bool | None = None,
) -> Endpoint[dict[str, Any]]:
    """Rotate the secret, relabel, merge `config` (a `None` value removes that key), (de)activate."""
    body: dict[str, Any] = {"apiKey": api_key, "secrets": secrets, "label": label, "config": config}
    body = {k: v for k, v in body.items() if v is not None}
    if active is not None:
        body["status"] = "active" if active else "inactive"
    return Endpoint("PATCH", f"/v1/provider-credentials/{credential_id}", checked, json=body)


def test_credential(credential_id: str, *, model: str | None = None) -> Endpoint[dict[str, Any]]:
    """A live minimal call with the credential: `status` is ok, auth_failed, unreachable or error."""
    return Endpoint(
        "POST", f"/v1/provider-credentials/{credential_id}/test", checked, json={"model": model} if model else {}
    )


def remove_credential(credential_id: str) -> Endpoint[None]:
    return Endpoint("DELETE", f"/v1/provider-credentials/{credential_id}", lambda reply: checked(reply) and None)


def get_request(request_id: str) -> Endpoint[dict[str, Any]]:
    return Endpoint("GET", f"/v1/requests/{request_id}", checked)


def cache_stats() -> Endpoint[dict[str, Any]]:
    return Endpoint("GET", "/v1/cache/stats", checked)


def clear_cache(*, older_than_seconds: float | None = None) -> Endpoint[dict[str, Any]]:
    params = {} if older_than_seconds is None else {"olderThanSeconds": older_than_seconds}
    return Endpoint("DELETE", "/v1/cache/entries", checked, params=params)


_TEMPLATE_FIELDS = {"optimization_mode": "optimizationMode", "cache_policy": "cachePolicy"}


def _template_body(fields: Mapping[str, Any]) -> dict[str, Any]:
    return {_TEMPLATE_FIELDS.get(k, k): v for k, v in fields.items()}


def preview_optimization(request: dict[str, Any], *, mode: str | None = None) -> Endpoint[dict[str, Any]]:
    """What `mode` (default: the request's own, else balanced) would do to a chat request; nothing is sent."""
    return Endpoint(
        "POST", "/v1/optimize/preview", checked, json={**request, "optimizationMode": mode} if mode else request
    )


def add_template(name: str, messages: list[dict[str, Any]], **defaults: Any) -> Endpoint[dict[str, Any]]:
    """defaults: description, provider, model, optimization_mode, cache_policy."""
    return Endpoint(
        "POST", "/v1/templates", checked, json={"name": name, "messages": messages, **_template_body(defaults)}
    )


def list_templates() -> Endpoint[list[dict[str, Any]]]:
    return Endpoint("GET", "/v1/templates", lambda reply: list(checked(reply)["data"]))


def get_template(ref: str, *, version: int | None = None) -> Endpoint[dict[str, Any]]:
    return Endpoint("GET", f"/v1/templates/{ref}", checked, params={"version": version} if version is not None else {})


def update_template(ref: str, **changes: Any) -> Endpoint[dict[str, Any]]:
    """Makes a new version; changes: messages, name, description, provider, model, optimization_mode, ..."""
    return Endpoint("PATCH", f"/v1/templates/{ref}", checked, json=_template_body(changes))


def render_template(
    ref: str, variables: dict[str, Any] | None = None, *, version: int | None = None
) -> Endpoint[dict[str, Any]]:
    body: dict[str, Any] = {"variables": variables or {}}
    if version is not None:
        body["version"] = version
    return Endpoint("POST", f"/v1/templates/{ref}/render", checked, json=body)


def remove_template(ref: str) -> Endpoint[None]:
    return Endpoint("DELETE", f"/v1/templates/{ref}", lambda reply: checked(reply) and None)


def ready() -> Endpoint[tuple[bool, dict[str, Any]]]:
    """(ready?, the readiness report): a 503 here is an answer, not an error."""
    return Endpoint("GET", "/ready", lambda reply: (reply.status == 200, _body(reply) or {}))
