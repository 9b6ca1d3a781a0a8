"""The explicit map from provider name to adapter (no import magic); one fresh set per runtime."""

from __future__ import annotations

from killtoken_proxy.providers import (
    anthropic,
    aws_bedrock,
    azure_openai,
    deepseek,
    gemini,
    google_vertex,
    mistral,
    openai,
    openai_compatible,
    openrouter,
    perplexity,
    together,
    xai,
)
from killtoken_proxy.providers.base import ProviderAdapter

# The full list the contract names, in its order.
CONTRACT_PROVIDERS = (
    "openai",
    "anthropic",
    "gemini",
    "mistral",
    "deepseek",
    "openrouter",
    "together",
    "perplexity",
    "xai",
    "azure_openai",
    "openai_compatible",
    "aws_bedrock",
    "google_vertex",
)


def default_adapters() -> dict[str, ProviderAdapter]:
    """Adapters hold per-runtime memory (Vertex tokens, Gemini thought signatures), so each call builds new ones."""
    return {
        openai.NAME: openai.create(),
        anthropic.NAME: anthropic.create(),
        gemini.NAME: gemini.create(),
        mistral.NAME: mistral.create(),
        deepseek.NAME: deepseek.create(),
        openrouter.NAME: openrouter.create(),
        together.NAME: together.create(),
        perplexity.NAME: perplexity.create(),
        xai.NAME: xai.create(),
        azure_openai.NAME: azure_openai.create(),
        openai_compatible.NAME: openai_compatible.create(),
        aws_bedrock.NAME: aws_bedrock.create(),
        google_vertex.NAME: google_vertex.create(),
    }
