"""One chat request through the gateway: auth, routing, credential, provider call, accounting, ledger."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

from killtoken_proxy.credential_service import CredentialService
from killtoken_proxy.errors import CredentialRequired, InvalidRequest, KillTokenError, TenantNotResolved
from killtoken_proxy.gateway import request_fields
from killtoken_proxy.gateway.chat_request import ChatRequest
from killtoken_proxy.gateway.metrics import CallMetrics, header_value
from killtoken_proxy.gateway.pricing import cost_usd
from killtoken_proxy.gateway.redaction import redact
from killtoken_proxy.gateway.routing import route
from killtoken_proxy.gateway.upstream import send
from killtoken_proxy.ids import new_id
from killtoken_proxy.providers.base import Credential, ProviderAdapter
from killtoken_proxy.store.ledger import Ledger
from killtoken_proxy.store.tenants import Tenant, TenantStore

Parser = Callable[[dict[str, Any], Mapping[str, str]], ChatRequest]


@dataclass(frozen=True)
class ChatOutcome:
    body: dict[str, Any]  # provider response (OpenAI shape) plus `killtoken.metrics`
    headers: dict[str, str]


def bearer_key(headers: Mapping[str, str], *, allow_x_api_key: bool = False) -> str | None:
    auth = headers.get("authorization", "")
    scheme, _, token = auth.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    if allow_x_api_key and headers.get("x-api-key", "").strip():
        return headers["x-api-key"].strip()
    return None


def resolve_tenant(tenants: TenantStore, headers: Mapping[str, str], *, allow_x_api_key: bool = False) -> Tenant:
    key = bearer_key(headers, allow_x_api_key=allow_x_api_key)
    if key is None:
        raise TenantNotResolved("Missing `Authorization: Bearer kt_...` header with your KillToken tenant key.")
    tenant = tenants.resolve(key) if key.startswith("kt_") else None
    if tenant is None:
        hint = "" if key.startswith("kt_") else " (a KillToken key starts with `kt_`; provider keys do not go here)"
        raise TenantNotResolved("The tenant key is not valid" + hint + ". `kt init` prints a fresh setup.")
    if tenant.suspended:
        raise KillTokenError("This tenant is suspended.", code="tenant_suspended", status=403)
    return tenant


class Gateway:
    def __init__(
        self,
        *,
        tenants: TenantStore,
        credentials: CredentialService,
        adapters: Mapping[str, ProviderAdapter],
        ledger: Ledger,
        http: httpx.AsyncClient,
    ) -> None:
        self._tenants = tenants
        self._credentials = credentials
        self._adapters = adapters
        self._ledger = ledger
        self._http = http

    async def chat(self, raw_body: bytes, headers: Mapping[str, str], parse: Parser, door: str) -> ChatOutcome:
        started = time.perf_counter()
        request_id = new_id("req")
        record: dict[str, Any] = {
            "id": request_id,
            "created_at": datetime.now(UTC).isoformat(),
            "door": door,
            "tenant_id": None,
            "feature": None,
        }
        credential: Credential | None = None
        try:
            body = request_fields.require_object(_json(raw_body))
            record["feature"] = _feature_for_ledger(body, headers)
            tenant = resolve_tenant(self._tenants, headers, allow_x_api_key=door == "anthropic")
            record["tenant_id"] = tenant.id
            request_fields.reject_streaming(body)
            request = parse(body, headers)
            record.update(feature=request.feature, model=request.model, optimization_mode=request.optimization_mode)
            provider, model = route(
                request.model, request.provider, headers, self._adapters, self._credentials.providers_of(tenant.id)
            )
            record.update(provider=provider, model=model)
            adapter = self._adapter(provider)
            credential = self._credentials.active(tenant.id, provider)
            if credential is None:
                raise CredentialRequired(
                    f"No stored credential for provider `{provider}`. Add one with "
                    f"`kt credentials add {provider}` or POST /v1/provider-credentials."
                )
            record["credential_id"] = credential.id
            if model != request.model:
                request = _with_model(request, model)
            upstream = await send(self._http, adapter.to_request(request, credential), provider)
            record["upstream_ms"] = round(upstream.elapsed_ms, 2)
            record["upstream_status"] = upstream.status
            record["upstream_request_id"] = upstream.headers.get("x-request-id")
            if upstream.status >= 400:
                raise adapter.map_error(upstream.status, upstream.body, upstream.headers)
            result = adapter.from_response(request, upstream.body)
            total_ms = (time.perf_counter() - started) * 1000
            metrics = CallMetrics(
                request_id=request_id,
                provider=provider,
                model=result.model,
                feature=request.feature,
                optimization_mode=request.optimization_mode,
                usage=result.usage,
                cost_usd=cost_usd(provider, result.model, result.usage),
                cache_status="bypass" if request.cache_policy.exact_cache == "bypass" else "miss",
                total_ms=total_ms,
                upstream_ms=upstream.elapsed_ms,
            ).to_json()
            self._ledger.record({**record, **_ledger_fields(metrics, result.usage.raw), "status": 200})
            body_out = dict(result.body)
            body_out["killtoken"] = {"metrics": metrics}
            return ChatOutcome(
                body=body_out,
                headers={"x-killtoken-request-id": request_id, "x-killtoken-metrics": header_value(metrics)},
            )
        except KillTokenError as error:
            if credential is not None:
                error.message = redact(error.message, credential.secrets.values())
            error.headers["x-killtoken-request-id"] = request_id
            record.update(
                status=error.status,
                error=error.code,
                latency_ms=round((time.perf_counter() - started) * 1000, 2),
            )
            self._ledger.record(record)
            raise

    def _adapter(self, provider: str) -> ProviderAdapter:
        adapter = self._adapters.get(provider)
        if adapter is None:
            raise InvalidRequest(
                f"Unknown or not yet supported provider {provider!r}; supported: {', '.join(sorted(self._adapters))}.",
                code="invalid_provider",
                param="provider",
            )
        return adapter


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw) if raw.strip() else None
    except (ValueError, UnicodeDecodeError):
        raise InvalidRequest("The request body is not valid JSON.", code="invalid_json") from None


def _feature_for_ledger(body: dict[str, Any], headers: Mapping[str, str]) -> str | None:
    """Best effort, so that even rejected requests are grouped under the feature that sent them."""
    try:
        return request_fields.parse_feature(body.get("metadata"), headers)
    except KillTokenError:
        return None


def _with_model(request: ChatRequest, model: str) -> ChatRequest:
    from dataclasses import replace

    return replace(request, model=model)


def _ledger_fields(metrics: dict[str, Any], raw_usage: dict[str, Any]) -> dict[str, Any]:
    return {
        "provider_model": metrics["model"],
        "prompt_tokens": metrics["promptTokens"],
        "completion_tokens": metrics["completionTokens"],
        "total_tokens": metrics["totalTokens"],
        "cached_prompt_tokens": metrics["cachedPromptTokens"],
        "reasoning_tokens": metrics["reasoningTokens"],
        "usage_reported": metrics["usageReported"],
        "cost_usd": metrics["costUsd"],
        "cache_status": metrics["cacheStatus"],
        "latency_ms": metrics["latencyMs"]["total"],
        "gateway_ms": metrics["latencyMs"]["gateway"],
        "provider_usage": raw_usage,
        "estimated_savings_usd": "0",
        "verified_savings_usd": "0",
    }
