"""The explicit map from provider name to adapter (no import magic)."""

from __future__ import annotations

from killtoken_proxy.providers import openai, openai_compatible
from killtoken_proxy.providers.base import ProviderAdapter

# The full list the contract names; an entry without an adapter yet is known but not callable.
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
    return {
        openai.NAME: openai.ADAPTER,
        openai_compatible.NAME: openai_compatible.ADAPTER,
    }
