"""One chat request through the gateway, stage by stage (architecture §3), and its ledger record.

The stage order is the contract's: auth and tenant state, template expansion and parse, routing,
the stored-credential check (before any cache, idempotency or provider work), then idempotency,
limits, cache, optimization, the provider call, accounting, ledger and the response.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx

from killtoken_proxy import json_body
from killtoken_proxy.credential_service import CredentialService
from killtoken_proxy.errors import CredentialRequired, InvalidRequest, KillTokenError
from killtoken_proxy.gateway import request_fields
from killtoken_proxy.gateway.auth import resolve_tenant
from killtoken_proxy.gateway.cache_key import cache_key
from killtoken_proxy.gateway.chat_request import ChatRequest
from killtoken_proxy.gateway.content import content_record
from killtoken_proxy.gateway.doors import Door
from killtoken_proxy.gateway.exact_cache import ExactCache, status_after_provider
from killtoken_proxy.gateway.failure import failure_headers
from killtoken_proxy.gateway.idempotency import Idempotency
from killtoken_proxy.gateway.limits import Limits
from killtoken_proxy.gateway.metrics import ZERO, CallMetrics, header_value
from killtoken_proxy.gateway.optimize.stage import OptimizationReport, PromptOptimizer, no_potential_savings
from killtoken_proxy.gateway.pricing import PriceBook
from killtoken_proxy.gateway.provider_call import Attempt, call_provider
from killtoken_proxy.gateway.redaction import redact
from killtoken_proxy.gateway.routing import Route, credential_hint, route
from killtoken_proxy.gateway.stored_answer import StoredAnswer
from killtoken_proxy.gateway.templates import TemplateService, TemplateUse
from killtoken_proxy.gateway.unexpected import internal_error
from killtoken_proxy.ids import new_id
from killtoken_proxy.near_miss import did_you_mean
from killtoken_proxy.providers.base import Credential, ProviderAdapter, ProviderResult, Usage
from killtoken_proxy.providers.registry import CONTRACT_PROVIDERS
from killtoken_proxy.store.ledger import Ledger
from killtoken_proxy.store.tenant_options import TenantOptions
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
    optimization: OptimizationReport | None = None
    template: TemplateUse | None = None
    record: dict[str, Any] = field(default_factory=dict)  # extra ledger fields gathered by the stages
    response_headers: dict[str, str] = field(default_factory=dict)  # extra headers for any answer
    attempt: Attempt = field(default_factory=Attempt)  # how far the provider call got

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
            "cache_mode": request.cache_policy.exact_cache if request else None,
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
        cache: ExactCache,
        idempotency: Idempotency,
        limits: Limits,
        optimizer: PromptOptimizer,
        templates: TemplateService,
        prices: PriceBook,
        options: TenantOptions,
    ) -> None:
        self._tenants = tenants
        self._limits = limits
        self._credentials = credentials
        self._adapters = adapters
        self._known_providers = frozenset({*CONTRACT_PROVIDERS, *adapters})
        self._ledger = ledger
        self._http = http
        self._cache = cache
        self._idempotency = idempotency
        self._optimizer = optimizer
        self._templates = templates
        self._prices = prices
        self._options = options

    async def chat(self, raw_body: bytes, headers: Mapping[str, str], door: Door) -> ChatOutcome:
        call = Call(door=door.name)
        try:
            return await self._run(call, raw_body, headers, door)
        except KillTokenError as error:
            self._fail(call, error)
            self._idempotency.release(call, error)
            raise
        except Exception as exc:  # a bug: still a recorded, well-formed answer, and no key left held
            bug = internal_error(call.request_id, exc, call.credential.secrets.values() if call.credential else ())
            self._fail(call, bug)
            raise bug from None
        finally:
            self._idempotency.release(call)  # no-op unless an unexpected error left the key held

    async def _run(self, call: Call, raw_body: bytes, headers: Mapping[str, str], door: Door) -> ChatOutcome:
        call.tenant = resolve_tenant(self._tenants, headers, allow_x_api_key=door.accepts_x_api_key)
        body = request_fields.require_object(json_body.parse(raw_body, field_codes=request_fields.FIELD_CODES))
        call.feature = _feature_for_ledger(body, headers)
        request_fields.reject_streaming(body)
        body = self._expand_template(call, body, headers, door)
        call.request = replace(door.parse(body, headers), tenant_id=call.tenant.id)
        call.feature = call.request.feature
        self._route(call, headers)
        self._require_credential(call)
        self._fingerprint(call)
        if (replay := await self._idempotency.begin(call)) is not None:
            self._limits.annotate(call)  # a replay shows the plan but does not count against it
            return self._answer_stored(call, door, replay)
        self._limits.admit(call)
        if (hit := await self._cache.read(call)) is not None:
            return self._answer_stored(call, door, hit)
        measuring = await self._optimize(call)
        result, upstream_ms = await self._call_provider_measuring(call, measuring)
        metrics = self._account(call, result, upstream_ms)
        await self._cache.write(call, result, metrics)
        self._keep_content(call, result.body)
        return self._answer(call, door, result.body, metrics, result.usage.raw)

    # -- stages ------------------------------------------------------------------------------------
    def _expand_template(
        self, call: Call, body: dict[str, Any], headers: Mapping[str, str], door: Door
    ) -> dict[str, Any]:
        """A body naming a template becomes the full request before parsing, so routing sees its defaults."""
        assert call.tenant is not None
        if not door.templates:
            return body
        body, call.template = self._templates.expand(call.tenant.id, body, headers)
        if call.template is not None:
            call.record.update(
                template_id=call.template.id,
                template_name=call.template.name,
                template_version=call.template.version,
            )
        return body

    def route_for(
        self,
        tenant: Tenant,
        model: str,
        provider: str | None,
        headers: Mapping[str, str],
        template: TemplateUse | None = None,
    ) -> Route:
        """Which provider serves `model` for this tenant, and the model name it receives (README: routing)."""
        defaults = self._credentials.default_models(tenant.id)
        fallback = tenant.default_provider
        filled = template.filled if template is not None else frozenset()
        if "provider" not in filled:
            return route(model, provider, headers, self._known_providers, defaults, tenant_default=fallback)
        if "model" in filled:  # the template's own provider and model, kept together
            return replace(route(model, provider, headers, self._known_providers, defaults), rule="template")
        # The caller's own model with the template's provider: a prefix in that model is the caller's choice.
        return route(
            model, None, headers, self._known_providers, defaults, template_provider=provider, tenant_default=fallback
        )

    def _route(self, call: Call, headers: Mapping[str, str]) -> None:
        assert call.request is not None and call.tenant is not None
        chosen = self.route_for(call.tenant, call.request.model, call.request.provider, headers, call.template)
        call.adapter = self._adapter(chosen.provider)  # first: a provider that does not exist is nobody's row
        call.provider = chosen.provider
        call.record["routed_by"] = chosen.rule
        if chosen.model != call.request.model:
            call.request = replace(call.request, model=chosen.model)

    def _require_credential(self, call: Call) -> None:
        assert call.tenant is not None and call.provider is not None
        call.credential = self._credentials.active(call.tenant.id, call.provider)
        if call.credential is None:
            assert call.request is not None
            chosen = Route(call.provider, call.request.model, call.record.get("routed_by", "explicit"))
            raise CredentialRequired(
                f"No stored credential for provider `{call.provider}`. Add one with "
                f"`kt credentials add {call.provider}` or POST /v1/provider-credentials."
                + credential_hint(chosen, self._credentials.reachable(call.tenant.id))
            )

    def _fingerprint(self, call: Call) -> None:
        """The exact-cache key of every request, also for analytics' cache-opportunity report."""
        assert call.tenant is not None and call.provider is not None and call.request is not None
        endpoint = call.credential.config if call.credential else None
        call.record["cache_key"] = cache_key(call.tenant.id, call.provider, call.request, endpoint)

    async def _optimize(self, call: Call) -> asyncio.Task[OptimizationReport] | None:
        """Rewrite the prompt for its optimization mode; measure_only sends it unchanged and only measures.
        A big measure_only prompt is measured beside the provider call: the returned task."""
        assert call.request is not None and call.provider is not None and call.tenant is not None
        if self._optimizer.measures_beside_the_call(call.request):
            return asyncio.create_task(self._optimizer.measure(call.request, call.tenant.id, call.provider))
        call.request, report = await self._optimizer.apply(call.request, call.tenant.id, call.provider)
        self._record_optimization(call, report)
        return None

    def _record_optimization(self, call: Call, report: OptimizationReport) -> None:
        call.optimization = report
        call.record["optimization"] = report.to_json()
        call.record["potential_savings_usd"] = report.potential_savings()

    async def _call_provider_measuring(
        self, call: Call, measuring: asyncio.Task[OptimizationReport] | None
    ) -> tuple[ProviderResult, float]:
        if measuring is None:
            return await self._call_provider(call)
        try:
            answer = await self._call_provider(call)
        except BaseException:
            measuring.cancel()  # a failed call saves nothing; its error answers without waiting for the estimate
            raise
        self._record_optimization(call, await measuring)
        return answer

    async def _call_provider(self, call: Call) -> tuple[ProviderResult, float]:
        assert call.request is not None and call.adapter is not None and call.credential is not None
        try:
            result = await call_provider(self._http, call.adapter, call.request, call.credential, call.attempt)
        finally:
            if (upstream := call.attempt.response) is not None:
                call.record.update(
                    upstream_ms=round(upstream.elapsed_ms, 2),
                    upstream_status=upstream.status,
                    upstream_request_id=call.attempt.upstream_request_id(),
                )
        assert call.attempt.response is not None
        return result, call.attempt.response.elapsed_ms

    def _account(self, call: Call, result: ProviderResult, upstream_ms: float) -> dict[str, Any]:
        assert call.request is not None and call.provider is not None and call.tenant is not None
        quote = self._prices.quote(call.tenant.id, call.provider, call.request.model, result.usage, result.model)
        call.record["price_source"] = quote.source
        return CallMetrics(
            request_id=call.request_id,
            provider=call.provider,
            model=result.model,
            feature=call.feature,
            optimization_mode=call.request.optimization_mode,
            usage=result.usage,
            cost_usd=quote.cost,
            cache_status=status_after_provider(call.request, result.body),
            total_ms=call.elapsed_ms(),
            upstream_ms=upstream_ms,
            estimated_savings_usd=_estimated_savings(call.optimization),
            optimization=call.optimization.to_json() if call.optimization else None,
            template=call.template.to_json() if call.template else None,
        ).to_json()

    def _answer_stored(self, call: Call, door: Door, stored: StoredAnswer) -> ChatOutcome:
        """A cache hit or a replay: no provider call, cost 0, the original's cost saved."""
        assert call.request is not None and call.provider is not None
        call.record["potential_savings_usd"] = no_potential_savings()
        self._keep_content(call, stored.body)
        metrics = CallMetrics(
            request_id=call.request_id,
            provider=call.provider,
            model=stored.model,
            feature=call.feature,
            optimization_mode=call.request.optimization_mode,
            usage=Usage(),
            cost_usd=ZERO,
            cache_status=stored.cache_status,
            total_ms=call.elapsed_ms(),
            upstream_ms=0.0,
            verified_savings_usd=stored.value_usd,
            replay=stored.replay,
            original_request_id=stored.source_request_id if stored.replay else None,
            template=call.template.to_json() if call.template else None,
        ).to_json()
        return self._answer(call, door, stored.body, metrics, None)

    def _answer(
        self, call: Call, door: Door, body: dict[str, Any], metrics: dict[str, Any], provider_usage: Any
    ) -> ChatOutcome:
        self._idempotency.complete(call, body, metrics)
        self._ledger.record({**call.ledger_record(), **_ledger_fields(metrics, provider_usage), "status": 200})
        return ChatOutcome(
            body=door.render(body, metrics),
            headers={
                **call.response_headers,
                "x-killtoken-request-id": call.request_id,
                "x-killtoken-metrics": header_value(metrics),
            },
        )

    def _keep_content(self, call: Call, response: dict[str, Any] | None) -> None:
        """Messages and answers are stored only for tenants that asked for it (ledger settings)."""
        if call.tenant is not None and self._options.store_content(call.tenant.id):
            call.record["content"] = content_record(call.request, response)

    def _fail(self, call: Call, error: KillTokenError) -> None:
        self._limits.settle_failure(call, error)
        self._keep_content(call, None)
        if call.credential is not None:
            error.message = redact(error.message, call.credential.secrets.values())
        error.headers.update(failure_headers(call, self._limits))
        error.headers["x-killtoken-request-id"] = call.request_id
        if call.tenant is None:
            return  # unauthenticated: nobody's record, and a flood of them must not grow the ledger
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
                f"Unknown or not yet supported provider {provider!r}{did_you_mean(provider, self._adapters)}; "
                f"supported: {', '.join(sorted(self._adapters))}.",
                code="invalid_provider",
                param="provider",
            )
        return adapter


def _estimated_savings(report: OptimizationReport | None) -> Decimal | None:
    """Nothing removed saves exactly 0; tokens removed from an unpriced model's prompt save an unknown amount."""
    if report is None or not report.result.tokens_removed:
        return ZERO
    return report.savings_usd


def _feature_for_ledger(body: dict[str, Any], headers: Mapping[str, str]) -> str | None:
    """Best effort, so that even rejected requests are grouped under the feature that sent them."""
    try:
        return request_fields.parse_feature(body.get("metadata"), headers)
    except KillTokenError:
        return None


def _ledger_fields(metrics: dict[str, Any], provider_usage: Any) -> dict[str, Any]:
    return {
        "provider_model": metrics["model"],
        "prompt_tokens": metrics["promptTokens"],
        "completion_tokens": metrics["completionTokens"],
        "total_tokens": metrics["totalTokens"],
        "cached_prompt_tokens": metrics["cachedPromptTokens"],
        "cache_write_tokens": metrics["cacheWriteTokens"],
        "reasoning_tokens": metrics["reasoningTokens"],
        "usage_reported": metrics["usageReported"],
        "cost_usd": metrics["costUsd"],
        "cache_status": metrics["cacheStatus"],
        "latency_ms": metrics["latencyMs"]["total"],
        "gateway_ms": metrics["latencyMs"]["gateway"],
        "provider_usage": provider_usage,
        "estimated_savings_usd": metrics["estimatedSavingsUsd"],
        "verified_savings_usd": metrics["verifiedSavingsUsd"],
        "replay": metrics["replay"],
        "original_request_id": metrics["originalRequestId"],
    }
