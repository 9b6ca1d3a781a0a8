"""The canonical form of a chat request and its SHA-256: the exact-cache key and the repeat detector.

The key covers the tenant, provider, upstream endpoint, model, optimization mode, messages and every
parameter that can change the answer; it ignores what cannot (feature tag, metadata, idempotency key,
user ids, JSON key order, whitespace). The README's "Exact cache" section documents the form.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

import orjson

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


# orjson spells these floats differently from `json` (1e-05 vs 1e-5); everything else it writes byte for byte
# as `json.dumps(sort_keys=True, ensure_ascii=False)` does, so keys stay what earlier versions computed.
_PLAIN_FLOATS_FROM = 1e-4


class _StdlibSpelling(Exception):
    """The document holds a value only the standard library spells as the canonical form always did."""


def _normal(value: Any, strict: bool = True) -> Any:
    """JSON values that mean the same thing get one spelling: 1.0 is 1 (Python's json keeps the `.0`)."""
    kind = value.__class__
    if kind is str:  # most leaves: checked first, by exact class, because this runs on every request
        return value
    if kind is dict:
        return {k: v if v.__class__ is str else _normal(v, strict) for k, v in value.items()}
    if kind is list:
        return [v if v.__class__ is str else _normal(v, strict) for v in value]
    if isinstance(value, float):
        if value.is_integer():
            return int(value)
        if strict and abs(value) < _PLAIN_FLOATS_FROM:
            raise _StdlibSpelling
        return value
    if isinstance(value, dict):
        return {k: _normal(v, strict) for k, v in value.items()}
    if isinstance(value, list):
        return [_normal(v, strict) for v in value]
    return value


def _canonical_json(document: dict[str, Any]) -> bytes:
    try:
        return orjson.dumps(_normal(document), option=orjson.OPT_SORT_KEYS)  # ~10x faster than `json`
    except (_StdlibSpelling, TypeError):  # TypeError: orjson.JSONEncodeError, e.g. an integer beyond 64 bits
        normal = _normal(document, strict=False)
        return json.dumps(normal, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _cache_document(
    tenant_id: str, provider: str, request: ChatRequest, endpoint: Mapping[str, Any] | None
) -> dict[str, Any]:
    # An explicit `null` asks the provider for its default, exactly as leaving the field out does.
    params = {k: v for k, v in request.params.items() if k not in OUTPUT_NEUTRAL_PARAMS and v is not None}
    document = {
        "v": CANONICAL_VERSION,
        "tenant": tenant_id,
        "provider": provider,
        "endpoint": dict(endpoint or {}),  # the credential's non-secret config: base URL, deployment, region
        "model": request.model,
        "optimization": request.optimization_mode,  # optimization rewrites the prompt the provider sees
        "messages": request.messages,
        "params": params,
    }
    # Only when present, so the keys of OpenAI-style requests stay what they were. A native body and its
    # answer shape are the door's own; an API version or beta header can change the answer.
    if request.wire != "openai":
        document["wire"] = request.wire
    if request.provider_headers:
        document["provider_headers"] = {k.lower(): v for k, v in request.provider_headers.items()}
    return document


def canonical_request(
    tenant_id: str, provider: str, request: ChatRequest, endpoint: Mapping[str, Any] | None = None
) -> bytes:
    return _canonical_json(_cache_document(tenant_id, provider, request, endpoint))


def cache_key(tenant_id: str, provider: str, request: ChatRequest, endpoint: Mapping[str, Any] | None = None) -> str:
    return hashlib.sha256(canonical_request(tenant_id, provider, request, endpoint)).hexdigest()


def request_fingerprint(
    tenant_id: str, provider: str, request: ChatRequest, endpoint: Mapping[str, Any] | None = None
) -> str:
    """Stricter than the cache key: an idempotency key may only be replayed for the same request, so
    output-neutral fields, the feature tag and the cache policy count too (the idempotency key does not)."""
    document = _cache_document(tenant_id, provider, request, endpoint)
    document.update(
        params=request.params,
        feature=request.feature,
        cache_policy=asdict(request.cache_policy),
    )
    return hashlib.sha256(_canonical_json(document)).hexdigest()
