"""The shared adapter for OpenAI-compatible providers; each member declares only its quirks."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from killtoken_proxy.errors import InvalidRequest, KillTokenError, UpstreamError
from killtoken_proxy.gateway.chat_request import ChatRequest
from killtoken_proxy.gateway.upstream import error_from_status, first_message
from killtoken_proxy.providers.base import Credential, CredentialShape, ProviderResult, UpstreamRequest, Usage


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def usage_from_openai(usage: Any) -> Usage:
    """OpenAI's usage: cached tokens are inside prompt_tokens, reasoning inside completion_tokens."""
    if not isinstance(usage, dict):
        return Usage(reported=False)
    prompt_details = usage.get("prompt_tokens_details") or {}
    completion_details = usage.get("completion_tokens_details") or {}
    return Usage(
        input_tokens=_int(usage.get("prompt_tokens")),
        cached_input_tokens=_int(prompt_details.get("cached_tokens")) if isinstance(prompt_details, dict) else 0,
        cache_write_tokens=_int(prompt_details.get("cache_write_tokens")) if isinstance(prompt_details, dict) else 0,
        output_tokens=_int(usage.get("completion_tokens")),
        reasoning_tokens=(
            _int(completion_details.get("reasoning_tokens")) if isinstance(completion_details, dict) else 0
        ),
        raw=usage,
    )


@dataclass(frozen=True)
class OpenAIFamilyAdapter:
    name: str
    default_base_url: str | None
    credential_shape: CredentialShape = field(default_factory=CredentialShape)
    dropped_params: frozenset[str] = field(default_factory=frozenset)
    chat_path: str = "/chat/completions"

    def base_url(self, credential: Credential) -> str:
        base = credential.config.get("baseUrl") or self.default_base_url
        if not base:
            raise InvalidRequest(
                f"The {self.name} credential {credential.id} has no `config.baseUrl`.", code="invalid_credential"
            )
        return str(base).rstrip("/")

    def to_request(self, request: ChatRequest, credential: Credential) -> UpstreamRequest:
        body: dict[str, Any] = {"model": request.model, "messages": request.messages}
        body.update((k, v) for k, v in request.params.items() if k not in self.dropped_params)
        headers = {
            "Authorization": f"Bearer {credential.secrets['apiKey']}",
            "Content-Type": "application/json",
            "Accept": "application/json",
        }
        return UpstreamRequest(
            url=self.base_url(credential) + self.chat_path,
            headers=headers,
            body=json.dumps(body, separators=(",", ":")).encode("utf-8"),
        )

    def from_response(self, request: ChatRequest, body: Any) -> ProviderResult:
        if not isinstance(body, dict) or not isinstance(body.get("choices"), list):
            raise UpstreamError(f"{self.name} returned a response that is not a chat completion.")
        body.setdefault("id", f"chatcmpl-{uuid.uuid4().hex}")
        body.setdefault("object", "chat.completion")
        body.setdefault("created", int(time.time()))
        body.setdefault("model", request.model)
        return ProviderResult(body=body, usage=usage_from_openai(body.get("usage")), model=str(body["model"]))

    def map_error(self, status: int, body: Any, headers: Mapping[str, str]) -> KillTokenError:
        return error_from_status(self.name, status, first_message(body), headers)
