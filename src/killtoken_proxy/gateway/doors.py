"""Front-door dialects: parse each door's body into a ChatRequest, and shape the success response."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from killtoken_proxy.errors import InvalidRequest
from killtoken_proxy.gateway import request_fields as fields
from killtoken_proxy.gateway.chat_request import ChatRequest

# Our own body fields: read by the gateway, never sent upstream.
KILLTOKEN_FIELDS = frozenset({"provider", "optimizationMode", "cachePolicy", "idempotencyKey", "metadata", "stream"})


@dataclass(frozen=True)
class Door:
    """One front door: its name (recorded in the ledger), how it parses and how it answers."""

    name: str
    parse: Callable[[dict[str, Any], Mapping[str, str]], ChatRequest]
    render: Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]]
    accepts_x_api_key: bool = False
    templates: bool = False  # may a body name a template (whose messages are OpenAI-shaped)?


def common_fields(body: dict[str, Any], headers: Mapping[str, str]) -> dict[str, Any]:
    return {
        "model": fields.parse_model(body.get("model")),
        "messages": fields.parse_messages(body.get("messages")),
        "feature": fields.parse_feature(body.get("metadata"), headers),
        "optimization_mode": fields.parse_optimization_mode(body.get("optimizationMode"), headers),
        "cache_policy": fields.parse_cache_policy(body.get("cachePolicy")),
        "idempotency_key": fields.parse_idempotency_key(body.get("idempotencyKey"), headers),
    }


def _generation_params(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k not in KILLTOKEN_FIELDS and k not in ("model", "messages")}


def parse_native(body: dict[str, Any], headers: Mapping[str, str]) -> ChatRequest:
    provider = body.get("provider")
    if not isinstance(provider, str) or not provider.strip():
        raise InvalidRequest(
            '`provider` is required (for example "openai").', code="invalid_provider", param="provider"
        )
    return ChatRequest(provider=provider.strip(), params=_generation_params(body), **common_fields(body, headers))


def provider_metadata(body: dict[str, Any]) -> dict[str, Any] | None:
    """`metadata` is also an OpenAI and an Anthropic field: what is left once our `feature` tag is taken out."""
    metadata = body.get("metadata")
    rest = {k: v for k, v in metadata.items() if k != "feature"} if isinstance(metadata, dict) else {}
    return rest or None


def parse_openai(body: dict[str, Any], headers: Mapping[str, str]) -> ChatRequest:
    """OpenAI SDK body; unknown keys are kept as params (OpenAI-family providers receive them)."""
    params = _generation_params(body)
    if (metadata := provider_metadata(body)) is not None:
        params["metadata"] = metadata
    provider = body.get("provider")
    return ChatRequest(
        provider=provider.strip() if isinstance(provider, str) and provider.strip() else None,
        params=params,
        **common_fields(body, headers),
    )


def render_openai(body: dict[str, Any], metrics: dict[str, Any]) -> dict[str, Any]:
    """The provider's answer in OpenAI's chat.completion shape, plus `killtoken.metrics`."""
    return {**body, "killtoken": {"metrics": metrics}}


NATIVE = Door("native", parse_native, render_openai, templates=True)
OPENAI = Door("openai", parse_openai, render_openai, templates=True)
