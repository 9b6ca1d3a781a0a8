"""A live, minimal round trip with one stored credential: ok, auth_failed, unreachable or error, with latency.

It makes the chat path's own upstream call (`gateway.provider_call`: authorize, send, map errors, read
the answer) over the shared HTTP client, asking for one output token. It is not a gateway call: it is
not recorded and does not count against the plan.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import httpx

from killtoken_proxy.errors import InvalidRequest, KillTokenError
from killtoken_proxy.gateway.chat_request import ChatRequest
from killtoken_proxy.gateway.provider_call import Attempt, call_provider
from killtoken_proxy.gateway.redaction import redact
from killtoken_proxy.providers.base import Credential, ProviderAdapter

PROBE_TIMEOUT_SECONDS = 20.0
PROBE_MESSAGES = [{"role": "user", "content": "ping"}]
# A cheap model per provider for the probe when neither the request nor the credential names one
# (Azure's credential names its deployment, which is what its URL needs).
PROBE_MODELS = {
    "openai": "gpt-4.1-nano",
    "anthropic": "claude-3-5-haiku-latest",
    "gemini": "gemini-2.0-flash",
    "google_vertex": "gemini-2.0-flash",
    "aws_bedrock": "anthropic.claude-3-haiku-20240307-v1:0",
    "mistral": "mistral-small-latest",
    "deepseek": "deepseek-chat",
    "openrouter": "openai/gpt-4.1-nano",
    "together": "meta-llama/Llama-3.2-3B-Instruct-Turbo",
    "perplexity": "sonar",
    "xai": "grok-3-mini",
}
_UNREACHABLE = frozenset({"upstream_unreachable", "upstream_timeout"})


@dataclass(frozen=True)
class ProbeResult:
    credential_id: str
    provider: str
    model: str
    status: str  # ok | auth_failed | unreachable | error
    latency_ms: float
    http_status: int | None = None
    message: str | None = None

    def public(self) -> dict[str, Any]:
        return {
            "credentialId": self.credential_id,
            "provider": self.provider,
            "model": self.model,
            "status": self.status,
            "ok": self.status == "ok",
            "latencyMs": round(self.latency_ms, 2),
            "httpStatus": self.http_status,
            "message": self.message,
        }


def probe_model(credential: Credential, requested: Any) -> str:
    config = credential.config
    model = requested or config.get("defaultModel") or config.get("deployment") or PROBE_MODELS.get(credential.provider)
    if not isinstance(model, str) or not model.strip():
        raise InvalidRequest(
            f"Name a model to test this {credential.provider} credential with: "
            f'`{{"model": "..."}}` (`kt credentials test {credential.id} --model NAME`).',
            code="invalid_model",
            param="model",
        )
    return model.strip()


async def probe(http: httpx.AsyncClient, adapter: ProviderAdapter, credential: Credential, model: str) -> ProbeResult:
    request = ChatRequest(provider=adapter.name, model=model, messages=PROBE_MESSAGES, params={"max_tokens": 1})
    attempt = Attempt()
    started = time.perf_counter()

    def result(status: str, message: str | None = None) -> ProbeResult:
        # Providers echo keys back in error bodies; nothing of the secret may leave in the message.
        shown = redact(message, credential.secrets.values()) if message else None
        latency_ms = (time.perf_counter() - started) * 1000
        http_status = attempt.response.status if attempt.response else None
        return ProbeResult(credential.id, adapter.name, model, status, latency_ms, http_status, shown)

    try:
        await call_provider(http, adapter, request, credential, attempt, timeout=PROBE_TIMEOUT_SECONDS)
    except KillTokenError as error:
        if error.code == "provider_auth_failed":  # refused by the provider or by its token endpoint
            return result("auth_failed", error.message)
        return result("unreachable" if error.code in _UNREACHABLE else "error", error.message)
    return result("ok")
