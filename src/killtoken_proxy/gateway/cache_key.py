"""The canonical form of a chat request and its SHA-256: the exact-cache key and the repeat detector.

The key covers the tenant, provider, model, messages and every parameter that can change the answer;
it ignores what cannot (feature tag, metadata, idempotency key, user ids, JSON key order, whitespace).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from killtoken_proxy.gateway.chat_request import ChatRequest

# OpenAI body fields that never change the model's output: attribution, storage and transport options.
OUTPUT_NEUTRAL_PARAMS = frozenset(
    {
        "metadata",
        "user",
        "safety_identifier",
        "store",
        "prompt_cache_key",
        "prompt_cache_retention",
        "prompt_cache_options",
        "stream_options",
        "service_tier",
    }
)
CANONICAL_VERSION = 1  # bump when the canonical form changes, so old entries simply stop matching


def canonical_request(tenant_id: str, provider: str, request: ChatRequest) -> bytes:
    params = {k: v for k, v in request.params.items() if k not in OUTPUT_NEUTRAL_PARAMS}
    document: dict[str, Any] = {
        "v": CANONICAL_VERSION,
        "tenant": tenant_id,
        "provider": provider,
        "model": request.model,
        "messages": request.messages,
        "params": params,
    }
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def cache_key(tenant_id: str, provider: str, request: ChatRequest) -> str:
    return hashlib.sha256(canonical_request(tenant_id, provider, request)).hexdigest()
