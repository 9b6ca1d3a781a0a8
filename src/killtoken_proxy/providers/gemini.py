"""Gemini (Google AI Studio): `generateContent` with the `x-goog-api-key` header; translation in gemini_format."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from killtoken_proxy import json_codec
from killtoken_proxy.errors import KillTokenError
from killtoken_proxy.gateway.chat_request import ChatRequest
from killtoken_proxy.gateway.upstream import error_from_status, first_message
from killtoken_proxy.providers import gemini_format
from killtoken_proxy.providers.base import Credential, CredentialShape, ProviderResult, SignedInRequest, UpstreamRequest
from killtoken_proxy.providers.replay_memory import ReplayMemory

NAME = "gemini"
DEFAULT_BASE_URL = "https://generativelanguage.googleapis.com"  # the genai SDK's base URL
API_VERSION = "v1beta"


@dataclass(frozen=True)
class GeminiAdapter(SignedInRequest):
    name: str = NAME
    credential_shape: CredentialShape = field(default_factory=CredentialShape)
    signatures: ReplayMemory = field(default_factory=ReplayMemory)

    def to_request(self, request: ChatRequest, credential: Credential) -> UpstreamRequest:
        body = gemini_format.generate_content_body(request, self.name, self.signatures)
        base = str(credential.config.get("baseUrl") or DEFAULT_BASE_URL).rstrip("/")
        model = quote(request.model.removeprefix("models/"), safe="-._~@")
        return UpstreamRequest(
            url=f"{base}/{API_VERSION}/models/{model}:generateContent",
            headers={
                "x-goog-api-key": credential.secrets["apiKey"],  # a header, so the key stays out of URLs and logs
                "Content-Type": "application/json",
                "Accept": "application/json",
            },
            body=json_codec.dumps(body),
        )

    def from_response(self, request: ChatRequest, body: Any) -> ProviderResult:
        return gemini_format.completion_from(request, body, self.name, self.signatures)

    def map_error(self, status: int, body: Any, headers: Mapping[str, str]) -> KillTokenError:
        return error_from_status(self.name, status, first_message(body), headers)


def create() -> GeminiAdapter:
    return GeminiAdapter()
