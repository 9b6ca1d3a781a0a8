"""What every provider adapter shares: credential shapes, the upstream request, normalized usage/result."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx

from killtoken_proxy.errors import KillTokenError
from killtoken_proxy.gateway.chat_request import ChatRequest

# Raises InvalidRequest (naming the field, never echoing a value) when secrets/config cannot work.
CredentialCheck = Callable[[Mapping[str, str], Mapping[str, Any]], None]


@dataclass(frozen=True)
class CredentialShape:
    """Which secret and config fields a provider's stored credential has (`baseUrl` is always allowed)."""

    secret_fields: tuple[str, ...] = ("apiKey",)
    optional_secret_fields: tuple[str, ...] = ()
    required_config: tuple[str, ...] = ()
    optional_config: tuple[str, ...] = ()
    # A required config field that another name may stand in for (Azure's `endpoint` given as `baseUrl`,
    # openai_compatible's `baseUrl` as `endpoint`): stored under the required name, so one name is read.
    stand_ins: Mapping[str, str] = field(default_factory=dict)
    check: CredentialCheck | None = None

    @property
    def config_fields(self) -> tuple[str, ...]:
        fields = self.required_config + tuple(f for f in self.optional_config if f not in self.required_config)
        return fields if "baseUrl" in fields else (*fields, "baseUrl")

    def public(self) -> dict[str, Any]:
        """The shape as the API shows it, so clients (like `kt credentials add`) ask for exactly these."""
        return {
            "secretFields": list(self.secret_fields),
            "optionalSecretFields": list(self.optional_secret_fields),
            "requiredConfig": list(self.required_config),
            "optionalConfig": [f for f in self.config_fields if f not in self.required_config],
            "configStandIns": dict(self.stand_ins),
        }


@dataclass(frozen=True)
class Credential:
    """A stored credential as the adapter sees it: secrets (from memory) plus non-secret config."""

    id: str
    provider: str
    secrets: Mapping[str, str] = field(repr=False)
    config: Mapping[str, Any]


@dataclass(frozen=True)
class UpstreamRequest:
    url: str
    headers: dict[str, str] = field(repr=False)
    body: bytes


@dataclass(frozen=True)
class Usage:
    """Token usage normalized across providers; `raw` keeps the provider's own field names for audit.

    `input_tokens` includes cached reads and cache writes; `output_tokens` includes reasoning.
    """

    input_tokens: int = 0
    cached_input_tokens: int = 0
    cache_write_tokens: int = 0
    output_tokens: int = 0
    reasoning_tokens: int = 0
    raw: dict[str, Any] = field(default_factory=dict)
    reported: bool = True

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens


@dataclass(frozen=True)
class ProviderResult:
    body: dict[str, Any]  # an OpenAI `chat.completion` object
    usage: Usage
    model: str


class ProviderAdapter(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def credential_shape(self) -> CredentialShape: ...

    def to_request(self, request: ChatRequest, credential: Credential) -> UpstreamRequest: ...

    async def authorize(
        self, upstream: UpstreamRequest, credential: Credential, http: httpx.AsyncClient
    ) -> UpstreamRequest:
        """Async auth work done just before sending (Vertex's OAuth token); most adapters return `upstream`."""
        ...

    def from_response(self, request: ChatRequest, body: Any) -> ProviderResult: ...

    def map_error(self, status: int, body: Any, headers: Mapping[str, str]) -> KillTokenError: ...


class SignedInRequest:
    """Base of adapters whose credential is already in the request `to_request` built (a header, a signature):
    nothing async to do before sending. Only Vertex, which mints an OAuth token, implements `authorize`."""

    async def authorize(
        self, upstream: UpstreamRequest, credential: Credential, http: httpx.AsyncClient
    ) -> UpstreamRequest:
        return upstream
