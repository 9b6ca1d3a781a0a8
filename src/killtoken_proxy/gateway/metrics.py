"""The `killtoken.metrics` object and the `x-killtoken-metrics` header built from one call's accounting."""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from killtoken_proxy.providers.base import Usage


def money(value: Decimal | None) -> str | None:
    """Money leaves the gateway as a decimal string so no float rounding creeps in."""
    return None if value is None else format(value, "f")


@dataclass(frozen=True)
class CallMetrics:
    request_id: str
    provider: str
    model: str
    feature: str | None
    optimization_mode: str
    usage: Usage
    cost_usd: Decimal | None
    cache_status: str
    total_ms: float
    upstream_ms: float

    def to_json(self) -> dict[str, Any]:
        return {
            "requestId": self.request_id,
            "provider": self.provider,
            "model": self.model,
            "feature": self.feature,
            "optimizationMode": self.optimization_mode,
            "promptTokens": self.usage.input_tokens,
            "completionTokens": self.usage.output_tokens,
            "totalTokens": self.usage.total_tokens,
            "cachedPromptTokens": self.usage.cached_input_tokens,
            "reasoningTokens": self.usage.reasoning_tokens,
            "usageReported": self.usage.reported,
            "costUsd": money(self.cost_usd),
            "estimatedSavingsUsd": "0",
            "verifiedSavingsUsd": "0",
            "cacheStatus": self.cache_status,
            "latencyMs": {
                "total": round(self.total_ms, 2),
                "upstream": round(self.upstream_ms, 2),
                "gateway": round(max(self.total_ms - self.upstream_ms, 0.0), 2),
            },
        }


def header_value(metrics: dict[str, Any]) -> str:
    return json.dumps(metrics, separators=(",", ":"), ensure_ascii=True)
