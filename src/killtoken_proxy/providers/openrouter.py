"""OpenRouter: OpenAI shape with vendor-prefixed models; optional attribution headers from config."""

from __future__ import annotations

from killtoken_proxy.providers.base import CredentialShape
from killtoken_proxy.providers.openai_family import OpenAIFamilyAdapter

NAME = "openrouter"
DEFAULT_BASE_URL = "https://openrouter.ai/api/v1"


def create() -> OpenAIFamilyAdapter:
    return OpenAIFamilyAdapter(
        name=NAME,
        default_base_url=DEFAULT_BASE_URL,
        credential_shape=CredentialShape(optional_config=("siteUrl", "appName")),
        config_headers={"siteUrl": "HTTP-Referer", "appName": "X-OpenRouter-Title"},
    )
