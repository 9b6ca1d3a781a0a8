"""One upstream round trip, shared by chat calls and credential tests so the two cannot drift:
build the provider request, authorize it (Vertex OAuth, Bedrock SigV4), send it, map a refusal to the
gateway's error and read the answer; an answer that is not what the provider promises is a 502.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from killtoken_proxy.errors import KillTokenError, UpstreamError
from killtoken_proxy.gateway.chat_request import ChatRequest
from killtoken_proxy.gateway.upstream import UpstreamResponse, send
from killtoken_proxy.providers.base import Credential, ProviderAdapter, ProviderResult

# Where providers put their request id: OpenAI family, Anthropic, AWS, Google.
REQUEST_ID_HEADERS = ("x-request-id", "request-id", "x-amzn-requestid", "x-goog-request-id")


@dataclass
class Attempt:
    """How far one call got: whether the request left for the provider, and what came back."""

    sent: bool = False
    response: UpstreamResponse | None = None

    def upstream_request_id(self) -> str | None:
        headers = self.response.headers if self.response else {}
        return next((headers[h] for h in REQUEST_ID_HEADERS if h in headers), None)


async def call_provider(
    http: httpx.AsyncClient,
    adapter: ProviderAdapter,
    request: ChatRequest,
    credential: Credential,
    attempt: Attempt,
    *,
    timeout: float | None = None,
) -> ProviderResult:
    outgoing = await adapter.authorize(adapter.to_request(request, credential), credential, http)
    attempt.sent = True
    upstream = attempt.response = await send(http, outgoing, adapter.name, timeout=timeout)
    if upstream.status >= 400:
        raise adapter.map_error(upstream.status, upstream.body, upstream.headers)
    try:
        return adapter.from_response(request, upstream.body)
    except KillTokenError:
        raise
    except (TypeError, ValueError, KeyError, IndexError, AttributeError) as exc:
        # A body shaped unlike the provider's documented answer (e.g. `tool_calls: 5`): its fault, not ours.
        raise UpstreamError(
            f"{adapter.name} returned a malformed answer ({type(exc).__name__} reading it); nothing was "
            "delivered. Retry, or report it to the provider if it persists."
        ) from None
