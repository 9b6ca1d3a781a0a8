"""Perplexity: OpenAI shape; user and assistant must alternate after the system messages, so runs merge."""

from __future__ import annotations

from killtoken_proxy.providers.openai_family import OpenAIFamilyAdapter

NAME = "perplexity"
DEFAULT_BASE_URL = "https://api.perplexity.ai"


def create() -> OpenAIFamilyAdapter:
    return OpenAIFamilyAdapter(
        name=NAME, default_base_url=DEFAULT_BASE_URL, developer_as_system=True, alternate_roles=True
    )
