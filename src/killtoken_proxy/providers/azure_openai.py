"""Azure OpenAI: deployment URL and `api-version` from the credential config, key in the `api-key` header.

`config.endpoint` (or `config.baseUrl`, stored as `endpoint`) is the resource URL, `config.deployment` the
deployment (else the request's model names it), `config.apiVersion` the dated version (default below) or
`v1` for the v1 API.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from killtoken_proxy.gateway.chat_request import ChatRequest
from killtoken_proxy.providers.base import Credential, CredentialShape
from killtoken_proxy.providers.openai_family import OpenAIFamilyAdapter

NAME = "azure_openai"
DEFAULT_API_VERSION = "2024-10-21"  # a GA version (reference §3.2)


@dataclass(frozen=True)
class AzureOpenAIAdapter(OpenAIFamilyAdapter):
    def base_url(self, credential: Credential) -> str:
        # New credentials store `baseUrl` as `endpoint` (see `stand_ins`); older ones may hold `baseUrl`.
        return str(credential.config.get("baseUrl") or credential.config["endpoint"]).rstrip("/")

    def _deployment(self, request: ChatRequest, credential: Credential) -> str:
        return str(credential.config.get("deployment") or request.model)

    def _api_version(self, credential: Credential) -> str:
        return str(credential.config.get("apiVersion") or DEFAULT_API_VERSION)

    def url(self, request: ChatRequest, credential: Credential) -> str:
        if self._api_version(credential) == "v1":
            return f"{self.base_url(credential)}/openai/v1/chat/completions"
        deployment = quote(self._deployment(request, credential), safe="")
        version = quote(self._api_version(credential), safe="")
        return f"{self.base_url(credential)}/openai/deployments/{deployment}/chat/completions?api-version={version}"

    def body_model(self, request: ChatRequest, credential: Credential) -> str | None:
        # The classic URL names the deployment; the v1 API takes it as `model`.
        return self._deployment(request, credential) if self._api_version(credential) == "v1" else None

    def auth_headers(self, credential: Credential) -> dict[str, str]:
        return {"api-key": credential.secrets["apiKey"]}


def create() -> AzureOpenAIAdapter:
    return AzureOpenAIAdapter(
        name=NAME,
        default_base_url=None,
        credential_shape=CredentialShape(
            required_config=("endpoint",),
            optional_config=("deployment", "apiVersion", "defaultModel"),
            stand_ins={"endpoint": "baseUrl"},
        ),
    )
