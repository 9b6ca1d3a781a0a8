"""Together AI: OpenAI shape; finishes with `eos` (mapped to `stop`); no `developer` role."""

from __future__ import annotations

from killtoken_proxy.providers.openai_family import OpenAIFamilyAdapter

NAME = "together"
DEFAULT_BASE_URL = "https://api.together.xyz/v1"


def create() -> OpenAIFamilyAdapter:
    return OpenAIFamilyAdapter(name=NAME, default_base_url=DEFAULT_BASE_URL, developer_as_system=True)
