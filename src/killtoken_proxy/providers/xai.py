"""xAI (Grok): OpenAI shape; reasoning tokens come outside `completion_tokens` and are added back."""

from __future__ import annotations

from killtoken_proxy.providers.openai_family import OpenAIFamilyAdapter, usage_reasoning_apart

NAME = "xai"
DEFAULT_BASE_URL = "https://api.x.ai/v1"


def create() -> OpenAIFamilyAdapter:
    return OpenAIFamilyAdapter(
        name=NAME, default_base_url=DEFAULT_BASE_URL, developer_as_system=True, read_usage=usage_reasoning_apart
    )
