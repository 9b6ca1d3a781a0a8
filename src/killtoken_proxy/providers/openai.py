"""OpenAI: the reference dialect; requests pass through unchanged."""

from __future__ import annotations

from killtoken_proxy.providers.openai_family import OpenAIFamilyAdapter

NAME = "openai"
DEFAULT_BASE_URL = "https://api.openai.com/v1"

ADAPTER = OpenAIFamilyAdapter(name=NAME, default_base_url=DEFAULT_BASE_URL)
