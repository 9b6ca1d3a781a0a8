"""OpenAI: the reference dialect; requests pass through unchanged."""

from __future__ import annotations

from killtoken_proxy.providers.base import CredentialShape
from killtoken_proxy.providers.openai_family import OpenAIFamilyAdapter

NAME = "openai"
DEFAULT_BASE_URL = "https://api.openai.com/v1"


def create() -> OpenAIFamilyAdapter:
    return OpenAIFamilyAdapter(
        name=NAME,
        default_base_url=DEFAULT_BASE_URL,
        credential_shape=CredentialShape(optional_config=("organization", "project")),
        config_headers={"organization": "OpenAI-Organization", "project": "OpenAI-Project"},
    )
