"""Ledger records shaped like the pipeline writes them, for tests that need many varied ones fast."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from killtoken_proxy.ids import new_id

T0 = datetime(2026, 6, 1, 0, 0, tzinfo=UTC)
FEATURES = ["weekly-summary", "content-moderation", None, "=cmd|' /C calc'!A0", "search"]
MODELS = [("openai", "gpt-4.1-mini"), ("anthropic", "claude-sonnet-4-5"), ("openai_compatible", "llama-3.1-8b")]


def record(
    at: datetime,
    *,
    tenant: str = "tn_a",
    feature: str | None = "weekly-summary",
    provider: str = "openai",
    model: str = "gpt-4.1-mini",
    status: int = 200,
    cost: str | None = "0.0012",
    cache_status: str | None = "bypass",
    cache_mode: str | None = "bypass",
    cache_key: str | None = None,
    replay: bool = False,
    verified: str = "0",
    estimated: str = "0",
    prompt_tokens: int = 1000,
    completion_tokens: int = 200,
    **extra: Any,
) -> dict[str, Any]:
    ok = 200 <= status < 300
    doc: dict[str, Any] = {
        "id": new_id("req", now_ms=int(at.timestamp() * 1000)),
        "created_at": at.isoformat(),
        "door": "openai",
        "tenant_id": tenant,
        "feature": feature,
        "provider": provider,
        "model": model,
        "optimization_mode": "measure_only",
        "cache_mode": cache_mode,
        "cache_key": cache_key or f"key-{random.random()}",
        "status": status,
        "latency_ms": 120.5,
    }
    if ok:
        doc.update(
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            total_tokens=prompt_tokens + completion_tokens,
            cached_prompt_tokens=0,
            cache_write_tokens=0,
            reasoning_tokens=0,
            cost_usd=cost,
            cache_status=cache_status,
            replay=replay,
            verified_savings_usd=verified,
            estimated_savings_usd=estimated,
        )
    else:
        doc["error"] = {429: "rate_limited", 502: "upstream_error"}.get(status, "invalid_request")
    doc.update(extra)
    return doc


def varied(
    count: int, *, seed: int = 7, start: datetime = T0, span: timedelta = timedelta(days=3)
) -> list[dict[str, Any]]:
    """Every case the reports must count right: errors, unpriced, hits, replays, savings, repeats, tenants."""
    rng = random.Random(seed)
    out = []
    for i in range(count):
        at = start + span * (i / count) + timedelta(milliseconds=rng.randint(0, 999))
        provider, model = rng.choice(MODELS)
        kind = rng.random()
        cost = None if provider == "openai_compatible" else str(Decimal(rng.randint(1, 99999)) / Decimal(10**7))
        fields: dict[str, Any] = {
            "tenant": "tn_b" if i % 17 == 0 else "tn_a",
            "feature": rng.choice(FEATURES),
            "provider": provider,
            "model": model,
            "cost": cost,
            "cache_key": f"k{rng.randint(0, count // 4)}",
            "estimated": str(Decimal(rng.randint(0, 500)) / Decimal(10**7)),
        }
        if kind < 0.1:
            fields["status"] = rng.choice([429, 502, 400])
        elif kind < 0.2:
            fields.update(cache_status="hit", cache_mode="read_write", cost="0", verified=cost or "0")
        elif kind < 0.27:
            fields.update(replay=True, verified=cost or "0", original_request_id="req_original")
        elif kind < 0.4:
            fields.update(cache_status="miss", cache_mode="read_write")
        out.append(record(at, **fields))
    rng.shuffle(out)  # write order is completion order, not id order
    return sorted(out, key=lambda r: r["created_at"][:15])  # ... but roughly chronological
