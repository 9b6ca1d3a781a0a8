"""Front-door dialects: parse each door's body into a ChatRequest, and shape the success response."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from killtoken_proxy.errors import InvalidRequest
from killtoken_proxy.gateway import request_fields as fields
from killtoken_proxy.gateway.chat_request import ChatRequest

# Our own body fields: read by the gateway, never sent upstream.
KILLTOKEN_FIELDS = frozenset({"provider", "optimizationMode", "cachePolicy", "idempotencyKey", "metadata", "stream"})


def _common(body: dict[str, Any], headers: Mapping[str, str]) -> dict[str, Any]:
    return {
        "model": fields.parse_model(body.get("model")),
        "messages": fields.parse_messages(body.get("messages")),
        "feature": fields.parse_feature(body.get("metadata"), headers),
        "optimization_mode": fields.parse_optimization_mode(body.get("optimizationMode"), headers),
        "cache_policy": fields.parse_cache_policy(body.get("cachePolicy")),
        "idempotency_key": fields.parse_idempotency_key(body.get("idempotencyKey"), headers),
    }


def parse_native(body: dict[str, Any], headers: Mapping[str, str]) -> ChatRequest:
    provider = body.get("provider")
    if not isinstance(provider, str) or not provider.strip():
        raise InvalidRequest(
            '`provider` is required (for example "openai").', code="invalid_provider", param="provider"
        )
    common = _common(body, headers)
    params = {k: v for k, v in body.items() if k not in KILLTOKEN_FIELDS and k not in ("model", "messages")}
    return ChatRequest(provider=provider.strip(), params=params, **common)


def parse_openai(body: dict[str, Any], headers: Mapping[str, str]) -> ChatRequest:
    """OpenAI SDK body; unknown keys are kept as params (OpenAI-family providers receive them)."""
    common = _common(body, headers)
    params = {k: v for k, v in body.items() if k not in KILLTOKEN_FIELDS and k not in ("model", "messages")}
    # `metadata` is also an OpenAI field: forward what is left once our `feature` tag is taken out.
    metadata = body.get("metadata")
    if isinstance(metadata, dict):
        rest = {k: v for k, v in metadata.items() if k != "feature"}
        if rest:
            params["metadata"] = rest
    provider = body.get("provider")
    return ChatRequest(
        provider=provider.strip() if isinstance(provider, str) and provider.strip() else None, params=params, **common
    )
