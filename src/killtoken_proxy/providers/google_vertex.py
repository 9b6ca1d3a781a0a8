"""Google Vertex AI: a service-account credential; Gemini models via `generateContent`, Claude via `rawPredict`.

Credential: `secrets: {clientEmail, privateKey, privateKeyId?}`, `config: {projectId, location, defaultModel?,
tokenUri?, baseUrl?}`. The access token comes from google_oauth.TokenCache (in memory, refreshed before expiry).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import quote

import httpx

from killtoken_proxy import json_codec
from killtoken_proxy.errors import InvalidRequest, KillTokenError
from killtoken_proxy.gateway.chat_request import ChatRequest
from killtoken_proxy.gateway.upstream import error_from_status, first_message
from killtoken_proxy.providers import anthropic_format, gemini_format, google_oauth
from killtoken_proxy.providers.base import Credential, CredentialShape, ProviderResult, UpstreamRequest
from killtoken_proxy.providers.replay_memory import ReplayMemory

NAME = "google_vertex"
API_VERSION = "v1"
ANTHROPIC_VERSION = "vertex-2023-10-16"  # goes in the body on Vertex, not in a header


def host_for(location: str) -> str:
    """Vertex's host for a location (reference §3.12.2): global, multi-region, or regional."""
    if location == "global":
        return "https://aiplatform.googleapis.com"
    if location in ("us", "eu"):
        return f"https://aiplatform.{location}.rep.googleapis.com"
    return f"https://{location}-aiplatform.googleapis.com"


def is_claude(model: str) -> bool:
    return model.lower().startswith("claude")


def check_credential(secrets: Mapping[str, str], config: Mapping[str, Any]) -> None:
    if "@" not in secrets.get("clientEmail", ""):
        raise InvalidRequest(
            "`secrets.clientEmail` must be the service account's e-mail (client_email in the key file).",
            code="invalid_credential",
            param="secrets.clientEmail",
        )
    try:
        google_oauth.load_private_key(secrets.get("privateKey", ""))
    except ValueError:
        raise InvalidRequest(
            "`secrets.privateKey` is not a PEM-encoded RSA private key (private_key in the service-account file).",
            code="invalid_credential",
            param="secrets.privateKey",
        ) from None


@dataclass(frozen=True)
class VertexAdapter:
    name: str = NAME
    credential_shape: CredentialShape = field(
        default_factory=lambda: CredentialShape(
            secret_fields=("clientEmail", "privateKey"),
            optional_secret_fields=("privateKeyId",),
            required_config=("projectId", "location"),
            optional_config=("defaultModel", "tokenUri"),
            check=check_credential,
        )
    )
    tokens: google_oauth.TokenCache = field(default_factory=google_oauth.TokenCache)
    signatures: ReplayMemory = field(default_factory=ReplayMemory)

    def to_request(self, request: ChatRequest, credential: Credential) -> UpstreamRequest:
        location = str(credential.config["location"])
        base = str(credential.config.get("baseUrl") or host_for(location)).rstrip("/")
        project = quote(str(credential.config["projectId"]), safe="")
        model = quote(request.model, safe="-._~@")
        prefix = f"{base}/{API_VERSION}/projects/{project}/locations/{quote(location, safe='')}/publishers"
        body: dict[str, Any]
        if is_claude(request.model):
            url = f"{prefix}/anthropic/models/{model}:rawPredict"
            body = {"anthropic_version": ANTHROPIC_VERSION, **anthropic_format.messages_body(request, self.name)}
        else:
            url = f"{prefix}/google/models/{model}:generateContent"
            body = gemini_format.generate_content_body(request, self.name, self.signatures)
        return UpstreamRequest(
            url=url,
            headers={"Content-Type": "application/json", "Accept": "application/json"},
            body=json_codec.dumps(body),
        )

    async def authorize(
        self, upstream: UpstreamRequest, credential: Credential, http: httpx.AsyncClient
    ) -> UpstreamRequest:
        token = await self.tokens.token(credential, http)
        return replace(upstream, headers={**upstream.headers, "Authorization": f"Bearer {token}"})

    def from_response(self, request: ChatRequest, body: Any) -> ProviderResult:
        if is_claude(request.model):
            return anthropic_format.completion_from(request, body, self.name)
        return gemini_format.completion_from(request, body, self.name, self.signatures)

    def map_error(self, status: int, body: Any, headers: Mapping[str, str]) -> KillTokenError:
        return error_from_status(self.name, status, first_message(body), headers)


def create() -> VertexAdapter:
    return VertexAdapter()
