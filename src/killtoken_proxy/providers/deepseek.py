"""DeepSeek: OpenAI shape; no `developer` role; cache hits reported as `prompt_cache_hit_tokens`."""

from __future__ import annotations

from killtoken_proxy.providers.openai_family import OpenAIFamilyAdapter, usage_deepseek

NAME = "deepseek"
DEFAULT_BASE_URL = "https://api.deepseek.com"


def create() -> OpenAIFamilyAdapter:
    return OpenAIFamilyAdapter(
        name=NAME,
        default_base_url=DEFAULT_BASE_URL,
        developer_as_system=True,
        read_usage=usage_deepseek,
    )
