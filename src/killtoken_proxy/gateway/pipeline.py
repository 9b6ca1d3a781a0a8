"""One chat request through the gateway, stage by stage (architecture §3), and its ledger record.

The stage order is the contract's: auth and tenant state, parse, routing, the stored-credential
check (before any cache, idempotency or provider work), then idempotency, limits, templates,
cache, optimization, the provider call, accounting, ledger and the response.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import httpx

from killtoken_proxy import json_codec
from killtoken_proxy.credential_service import CredentialService
from killtoken_proxy.errors import CredentialRequired, InvalidRequest, KillTokenError
from killtoken_proxy.gateway import request_fields
from killtoken_proxy.gateway.auth import resolve_tenant
from killtoken_proxy.gateway.cache_key import cache_key
from killtoken_proxy.gateway.chat_request import ChatRequest
from killtoken_proxy.gateway.doors import Door
from killtoken_proxy.gateway.metrics import CallMetrics, header_value
from killtoken_proxy.gateway.pricing import cost_usd
from killtoken_proxy.gateway.redaction import redact
from killtoken_proxy.gateway.routing import route
from killtoken_proxy.gateway.upstream import send
from killtoken_proxy.ids import new_id
from killtoken_proxy.providers.base import Credential, ProviderAdapter, ProviderResult
from killtoken_proxy.store.ledger import Ledger
from killtoken_proxy.store.tenants import Tenant, TenantStore


@dataclass(frozen=True)
class ChatOutcome:
    body: dict[str, Any]  # the door's response body, `killtoken.metrics` included
    headers: dict[str, str]


@dataclass
class Call:
    """What one request has gathered so far; it becomes the ledger record whatever the outcome."""

    door: str
    request_id: str = field(default_factory=lambda: new_id("req"))
    started: float = field(default_factory=time.perf_counter)
    created_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat())
    tenant: Tenant | None = None
    feature: str | None = None
    request: ChatRequest | None = None
    provider: str | None = None
    adapter: ProviderAdapter | None = None
    credential: Credential | None = None
    record: dict[str, Any] = field(default_factory=dict)  # extra ledger fields gathered by the stages
    response_headers: dict[str, str] = field(default_factory=dict)  # extra headers for any answer

    def elapsed_ms(self) -> float:
        return (time.perf_counter() - self.started) * 1000

    def ledger_record(self) -> dict[str, Any]:
        request = self.request
        return {
            "id": self.request_id,
            "created_at": self.created_at,
            "door": self.door,
            "tenant_id": self.tenant.id if self.tenant else None,
            "feature": self.feature,
            "provider": self.provider,
            "model": request.model if request else None,
            "optimization_mode": request.optimization_mode if request else None,
            "credential_id": self.credential.id if self.credential else None,
            **self.record,
        }


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

    async def chat(self, raw_body: bytes, headers: Mapping[str, str], door: Door) -> ChatOutcome:
        call = Call(door=door.name)
        try:
            return await self._run(call, raw_body, headers, door)
        except KillTokenError as error:
            self._fail(call, error)
            raise

    async def _run(self, call: Call, raw_body: bytes, headers: Mapping[str, str], door: Door) -> ChatOutcome:
        body = request_fields.require_object(_json(raw_body))
        call.feature = _feature_for_ledger(body, headers)
        call.tenant = resolve_tenant(self._tenants, headers, allow_x_api_key=door.accepts_x_api_key)
        request_fields.reject_streaming(body)
        call.request = door.parse(body, headers)
        call.feature = call.request.feature
        self._route(call, headers)
        self._require_credential(call)
        self._fingerprint(call)
        result, upstream_ms = await self._call_provider(call)
        metrics = self._account(call, result, upstream_ms)
        self._ledger.record({**call.ledger_record(), **_ledger_fields(metrics, result), "status": 200})
        return ChatOutcome(
            body=door.render(result.body, metrics),
            headers={
                **call.response_headers,
                "x-killtoken-request-id": call.request_id,
                "x-killtoken-metrics": header_value(metrics),
            },
        )

    # -- stages ------------------------------------------------------------------------------------
    def _route(self, call: Call, headers: Mapping[str, str]) -> None:
        assert call.request is not None and call.tenant is not None
        provider, model = route(
            call.request.model,
            call.request.provider,
            headers,
            self._adapters,
            self._credentials.providers_of(call.tenant.id),
        )
        call.provider = provider
        call.adapter = self._adapter(provider)
        if model != call.request.model:
            call.request = replace(call.request, model=model)

    def _require_credential(self, call: Call) -> None:
        assert call.tenant is not None and call.provider is not None
        call.credential = self._credentials.active(call.tenant.id, call.provider)
        if call.credential is None:
            raise CredentialRequired(
                f"No stored credential for provider `{call.provider}`. Add one with "
                f"`kt credentials add {call.provider}` or POST /v1/provider-credentials."
            )

    def _fingerprint(self, call: Call) -> None:
        """The exact-cache key of every request, also for analytics' cache-opportunity report."""
        assert call.tenant is not None and call.provider is not None and call.request is not None
        call.record["cache_key"] = cache_key(call.tenant.id, call.provider, call.request)

    async def _call_provider(self, call: Call) -> tuple[ProviderResult, float]:
        assert call.request is not None and call.adapter is not None and call.credential is not None
        adapter, provider = call.adapter, call.adapter.name
        upstream = await send(self._http, adapter.to_request(call.request, call.credential), provider)
        call.record.update(
            upstream_ms=round(upstream.elapsed_ms, 2),
            upstream_status=upstream.status,
            upstream_request_id=upstream.headers.get("x-request-id"),
        )
        if upstream.status >= 400:
            raise adapter.map_error(upstream.status, upstream.body, upstream.headers)
        return adapter.from_response(call.request, upstream.body), upstream.elapsed_ms

    def _account(self, call: Call, result: ProviderResult, upstream_ms: float) -> dict[str, Any]:
        assert call.request is not None and call.provider is not None
        return CallMetrics(
            request_id=call.request_id,
            provider=call.provider,
            model=result.model,
            feature=call.feature,
            optimization_mode=call.request.optimization_mode,
            usage=result.usage,
            cost_usd=cost_usd(call.provider, result.model, result.usage),
            cache_status="bypass" if call.request.cache_policy.exact_cache == "bypass" else "miss",
            total_ms=call.elapsed_ms(),
            upstream_ms=upstream_ms,
        ).to_json()

    def _fail(self, call: Call, error: KillTokenError) -> None:
        if call.credential is not None:
            error.message = redact(error.message, call.credential.secrets.values())
        error.headers.update(call.response_headers)
        error.headers["x-killtoken-request-id"] = call.request_id
        self._ledger.record(
            {
                **call.ledger_record(),
                "status": error.status,
                "error": error.code,
                "latency_ms": round(call.elapsed_ms(), 2),
            }
        )

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
        return json_codec.loads(raw) if raw.strip() else None
    except (ValueError, UnicodeDecodeError):
        raise InvalidRequest("The request body is not valid JSON.", code="invalid_json") from None


def _feature_for_ledger(body: dict[str, Any], headers: Mapping[str, str]) -> str | None:
    """Best effort, so that even rejected requests are grouped under the feature that sent them."""
    try:
        return request_fields.parse_feature(body.get("metadata"), headers)
    except KillTokenError:
        return None


def _ledger_fields(metrics: dict[str, Any], result: ProviderResult) -> dict[str, Any]:
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
        "provider_usage": result.usage.raw,
        "estimated_savings_usd": metrics["estimatedSavingsUsd"],
        "verified_savings_usd": metrics["verifiedSavingsUsd"],
    }
