"""Anthropic: the Messages API with `x-api-key` and `anthropic-version`; translation in anthropic_format."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from killtoken_proxy import json_codec
from killtoken_proxy.errors import KillTokenError
from killtoken_proxy.gateway.chat_request import ChatRequest
from killtoken_proxy.gateway.upstream import error_from_status, first_message
from killtoken_proxy.providers import anthropic_format
from killtoken_proxy.providers.base import Credential, CredentialShape, ProviderResult, SignedInRequest, UpstreamRequest

NAME = "anthropic"
DEFAULT_BASE_URL = "https://api.anthropic.com"  # the Anthropic SDK's base URL: no `/v1`
API_VERSION = "2023-06-01"


@dataclass(frozen=True)
class AnthropicAdapter(SignedInRequest):
    name: str = NAME
    credential_shape: CredentialShape = field(default_factory=CredentialShape)

    def to_request(self, request: ChatRequest, credential: Credential) -> UpstreamRequest:
        headers = {
            "x-api-key": credential.secrets["apiKey"],
            "anthropic-version": API_VERSION,
            "Content-Type": "application/json",
            "Accept": "application/json",
        }
        if request.wire == "anthropic":
            body = anthropic_format.native_body(request)
            # The API version and betas the client's body was written for (the Anthropic door forwards only these).
            headers.update(request.provider_headers)
        else:
            body = {"model": request.model, **anthropic_format.messages_body(request, self.name)}
        base = str(credential.config.get("baseUrl") or DEFAULT_BASE_URL).rstrip("/")
        return UpstreamRequest(
            url=f"{base}/v1/messages",
            headers=headers,
            body=json_codec.dumps(body),
        )

    def from_response(self, request: ChatRequest, body: Any) -> ProviderResult:
        return anthropic_format.completion_from(request, body, self.name)

    def map_error(self, status: int, body: Any, headers: Mapping[str, str]) -> KillTokenError:
        return error_from_status(self.name, status, first_message(body), headers)


def create() -> AnthropicAdapter:
    return AnthropicAdapter()
