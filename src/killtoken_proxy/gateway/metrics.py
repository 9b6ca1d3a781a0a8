"""The `killtoken.metrics` object and the `x-killtoken-metrics` header built from one call's accounting."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from killtoken_proxy import json_codec
from killtoken_proxy.money import money_text
from killtoken_proxy.providers.base import Usage

ZERO = Decimal(0)


@dataclass(frozen=True)
class CallMetrics:
    """One call's numbers. Field names in `to_json` are the public contract (documented in the README)."""

    request_id: str
    provider: str | None  # None only on an error answered before routing
    model: str | None
    feature: str | None
    optimization_mode: str | None
    usage: Usage
    cost_usd: Decimal | None  # None: the model has no known price ("unpriced"), never $0
    cache_status: str  # bypass | miss | hit | write
    total_ms: float
    upstream_ms: float
    # From prompt optimization (a model of what was avoided); None: tokens removed from an unpriced model's prompt.
    estimated_savings_usd: Decimal | None = ZERO
    # From cache hits and idempotent replays (money not spent); None when the original was unpriced.
    verified_savings_usd: Decimal | None = ZERO
    replay: bool = False
    original_request_id: str | None = None
    template: dict[str, Any] | None = None
    optimization: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "requestId": self.request_id,
            "provider": self.provider,
            "model": self.model,
            "feature": self.feature,
            "template": self.template,
            "optimizationMode": self.optimization_mode,
            "promptTokens": self.usage.input_tokens,
            "completionTokens": self.usage.output_tokens,
            "totalTokens": self.usage.total_tokens,
            "cachedPromptTokens": self.usage.cached_input_tokens,
            "cacheWriteTokens": self.usage.cache_write_tokens,
            "reasoningTokens": self.usage.reasoning_tokens,
            "usageReported": self.usage.reported,
            "costUsd": money_text(self.cost_usd),
            "priced": self.cost_usd is not None,
            "estimatedSavingsUsd": money_text(self.estimated_savings_usd),
            "verifiedSavingsUsd": money_text(self.verified_savings_usd),
            "cacheStatus": self.cache_status,
            "replay": self.replay,
            "originalRequestId": self.original_request_id,
            "optimization": self.optimization,
            "latencyMs": {
                "total": round(self.total_ms, 2),
                "upstream": round(self.upstream_ms, 2),
                "gateway": round(max(self.total_ms - self.upstream_ms, 0.0), 2),
            },
        }


def header_value(metrics: dict[str, Any]) -> str:
    return json_codec.dumps_ascii(metrics)
