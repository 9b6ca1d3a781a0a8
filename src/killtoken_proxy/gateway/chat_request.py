"""The internal, dialect-free chat request every front door parses into."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

CacheMode = Literal["bypass", "read_only", "write_only", "read_write"]
OptimizationMode = Literal["measure_only", "safe", "balanced", "aggressive"]


@dataclass(frozen=True)
class CachePolicy:
    exact_cache: CacheMode = "bypass"
    ttl_seconds: float | None = None


@dataclass(frozen=True)
class ChatRequest:
    provider: str | None  # None on the OpenAI door until routing decides
    model: str
    messages: list[dict[str, Any]]
    params: dict[str, Any] = field(default_factory=dict)  # OpenAI-named generation params to forward
    feature: str | None = None
    optimization_mode: OptimizationMode = "measure_only"
    cache_policy: CachePolicy = CachePolicy()
    idempotency_key: str | None = None
