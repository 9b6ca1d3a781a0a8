"""What a ledger record keeps of a call's content when its tenant opted in: messages sent, choices returned."""

from __future__ import annotations

from typing import Any

from killtoken_proxy.gateway.chat_request import ChatRequest


def content_record(request: ChatRequest | None, response: dict[str, Any] | None) -> dict[str, Any]:
    content: dict[str, Any] = {}
    if request is not None:
        content["messages"] = request.messages  # as sent upstream (after templates and optimization)
    if response is not None:
        content["choices"] = response.get("choices")
    return content
