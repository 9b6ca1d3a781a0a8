"""The models a tenant can reach through the OpenAI door, for `GET /v1/openai/models` (`client.models.list()`).

Source: for each provider the tenant has an active credential for, the credential's `config.defaultModel`,
the models the tenant has already called successfully through that provider (from the ledger's rollups;
the only names known for `openai_compatible` and Azure, whose models no price table lists), and the chat
models genai-prices has prices for. Each id is written so that sending it back as `model` routes to that
provider: bare when the routing rule already picks it, else as `provider/model`.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from datetime import datetime
from functools import cache
from typing import Any

from killtoken_proxy.errors import InvalidRequest
from killtoken_proxy.gateway.pricing import price_provider
from killtoken_proxy.gateway.routing import family_of, route
from killtoken_proxy.store.credentials import CredentialMeta

# Model names are deployment names or unknown to any price table here: only the configured default is listed.
_NO_CATALOG = frozenset({"azure_openai", "openai_compatible"})
# genai-prices also prices embeddings, speech, images and realtime models; the chat door serves none of them.
_NOT_CHAT = re.compile(
    r"(embed|tts|transcribe|whisper|image|realtime|moderation|dall-e|(^|-)live(-|$)|instruct|^(ada|babbage|curie|davinci)"
    r"|^text-davinci)"
)
# Price-table match stems such as `ft:gpt-4o` or `gpt-4o-mini-2024-07-18.ft-` are patterns, not model names.
_NOT_A_NAME = re.compile(r"(^ft:|[-.:]$|:extended$)")


@cache
def priced_chat_models(provider: str) -> tuple[str, ...]:
    """The chat models genai-prices knows for this provider (computed once per process)."""
    provider_id = price_provider(provider)
    if provider_id is None or provider in _NO_CATALOG:
        return ()
    from genai_prices import data_snapshot

    table = next((p for p in data_snapshot.get_snapshot().providers if p.id == provider_id), None)
    names = (m.id for m in (table.models if table else []) if not m.deprecated)
    family = provider if any(family_of(m.id) == provider for m in (table.models if table else [])) else None
    return tuple(
        sorted(
            name
            for name in names
            if not _NOT_CHAT.search(name.lower())
            and not _NOT_A_NAME.search(name)
            # A provider table may price other families' models too (Google prices Claude on Vertex).
            and (family is None or family_of(name) == family)
        )
    )


def _unix(iso: str) -> int:
    try:
        return int(datetime.fromisoformat(iso).timestamp())
    except ValueError:
        return 0


def _listed_id(model: str, provider: str, known: Collection[str], defaults: Mapping[str, str | None]) -> str:
    try:
        chosen = route(model, None, {}, known, defaults)
    except InvalidRequest:
        chosen = None
    return (
        model if chosen is not None and (chosen.provider, chosen.model) == (provider, model) else f"{provider}/{model}"
    )


def reachable_models(
    reachable: Mapping[str, CredentialMeta], known: Collection[str], called: Collection[tuple[str, str]] = ()
) -> list[dict[str, Any]]:
    """OpenAI `Model` objects (`id`, `object`, `created`, `owned_by`) for every model the tenant can call;
    `called` holds the (provider, model) pairs the tenant has called successfully."""
    defaults = {provider: meta.config.get("defaultModel") for provider, meta in reachable.items()}
    models: dict[str, dict[str, Any]] = {}
    for provider, meta in sorted(reachable.items()):
        configured = meta.config.get("defaultModel")
        names = [
            *([configured] if isinstance(configured, str) and configured else []),
            *sorted(model for owner, model in called if owner == provider),
            *priced_chat_models(provider),
        ]
        for name in names:
            listed = _listed_id(name, provider, known, defaults)
            models.setdefault(
                listed, {"id": listed, "object": "model", "created": _unix(meta.created_at), "owned_by": provider}
            )
    return list(models.values())
