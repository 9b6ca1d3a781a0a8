"""The internal chat request every front door parses into: OpenAI-style by default, or a provider's own
wire format when a door passes a native body through to that provider (the Anthropic door)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

CacheMode = Literal["bypass", "read_only", "write_only", "read_write"]
OptimizationMode = Literal["measure_only", "safe", "balanced", "aggressive"]
# How `messages` and `params` are written: "openai" (every adapter reads it), or "anthropic": an Anthropic
# Messages body (top-level `system` as a leading system message) that only the `anthropic` adapter takes.
WireFormat = Literal["openai", "anthropic"]


@dataclass(frozen=True)
class CachePolicy:
    exact_cache: CacheMode = "bypass"
    ttl_seconds: float | None = None


@dataclass(frozen=True)
class ChatRequest:
    provider: str | None  # None on the OpenAI door until routing decides
    model: str
    messages: list[dict[str, Any]]
    params: dict[str, Any] = field(default_factory=dict)  # generation params to forward, named as `wire` names them
    feature: str | None = None
    optimization_mode: OptimizationMode = "measure_only"
    cache_policy: CachePolicy = CachePolicy()
    idempotency_key: str | None = None
    wire: WireFormat = "openai"
    # Headers the client addressed to the provider itself (the Anthropic door's `anthropic-version`/`-beta`).
    provider_headers: dict[str, str] = field(default_factory=dict)
    # Whose call this is: adapters scope what they remember between calls (replay_memory) by it.
    tenant_id: str = ""
