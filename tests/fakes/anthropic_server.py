"""A fake Anthropic Messages API: checks `x-api-key`, `anthropic-version` and the body's wire rules."""

from __future__ import annotations

from typing import Any

from tests.fakes.http_fake import FakeServer, Received, Reply

BODY_FIELDS = {
    "model",
    "max_tokens",
    "messages",
    "system",
    "temperature",
    "top_p",
    "top_k",
    "stop_sequences",
    "metadata",
    "tools",
    "tool_choice",
    "thinking",
    "output_config",
    "service_tier",
    "cache_control",
    "container",
    "inference_geo",
}  # not `stream`: the gateway never streams, so a forwarded `stream` is a bug this fake should catch
# The reference sheet's version, and the one the installed `anthropic` SDK sends (its default moved on).
API_VERSIONS = frozenset({"2023-06-01", "2026-10-21"})
# Beta-only body fields, accepted only when the `anthropic-beta` header names their beta (as the real API does).
BETA_FIELDS = {"context_management": "context-management-2025-06-27", "mcp_servers": "mcp-client-2025-04-04"}


def message(
    text: str | None = "Paris.",
    *,
    tool_use: dict[str, Any] | None = None,
    stop_reason: str = "end_turn",
    usage: dict[str, Any] | None = None,
    model: str = "claude-sonnet-4-5-20250929",
) -> dict[str, Any]:
    """An Anthropic Message as in the reference sheet §3.10."""
    content: list[dict[str, Any]] = [{"type": "text", "text": text}] if text is not None else []
    if tool_use is not None:
        content.append({"type": "tool_use", **tool_use})
    return {
        "id": "msg_01Xy",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": content,
        "stop_reason": stop_reason,
        "stop_sequence": None,
        "usage": usage
        or {"input_tokens": 18, "output_tokens": 5, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0},
    }


def error(status: int, kind: str, text: str) -> Reply:
    return Reply(status, {"type": "error", "error": {"type": kind, "message": text}, "request_id": "req_011"})


def problems(body: Any, *, allowed: set[str] = BODY_FIELDS, needs_model: bool = True) -> list[str]:
    """What the real Messages API would reject in this body."""
    if not isinstance(body, dict):
        return ["body is not a JSON object"]
    found = [f"unknown field {k}" for k in body if k not in allowed]
    if needs_model and not isinstance(body.get("model"), str):
        found.append("model missing")
    if not isinstance(body.get("max_tokens"), int):
        found.append("max_tokens missing")
    temperature = body.get("temperature")
    if temperature is not None and not 0 <= temperature <= 1:
        found.append("temperature outside 0..1")
    turns = body.get("messages")
    if not isinstance(turns, list) or not turns:
        return [*found, "messages missing"]
    previous_tool_ids: set[str] = set()
    for n, turn in enumerate(turns):
        role = turn.get("role")
        if role not in ("user", "assistant"):
            found.append(f"messages[{n}].role {role}")
        if n and turns[n - 1].get("role") == role:
            found.append(f"messages[{n}] repeats role {role}")
        blocks = turn.get("content")
        blocks = [{"type": "text", "text": blocks}] if isinstance(blocks, str) else blocks
        if not blocks:
            found.append(f"messages[{n}] has no content")
        for block in blocks or []:
            if block.get("type") == "text" and not block.get("text"):
                found.append(f"messages[{n}] has an empty text block")
            if block.get("type") == "tool_result" and block.get("tool_use_id") not in previous_tool_ids:
                found.append(f"messages[{n}] tool_result without a matching tool_use")
        previous_tool_ids = {b["id"] for b in blocks or [] if b.get("type") == "tool_use"}
    if turns[0].get("role") != "user":
        found.append("first message is not from the user")
    return found


class FakeAnthropic(FakeServer):
    def __init__(self, expected_key: str) -> None:
        super().__init__()
        self.expected_key = expected_key

    def answer(self, received: Received) -> Reply:
        if received.path != "/v1/messages":
            return self.reject(error(404, "not_found_error", f"Unknown path {received.path}"), "path")
        if received.headers.get("x-api-key") != self.expected_key:
            return error(401, "authentication_error", "invalid x-api-key")
        if received.headers.get("anthropic-version") not in API_VERSIONS:
            return self.reject(error(400, "invalid_request_error", "anthropic-version header is required"), "version")
        betas = {b.strip() for b in received.headers.get("anthropic-beta", "").split(",")}
        found = problems(received.body, allowed=BODY_FIELDS | {k for k, beta in BETA_FIELDS.items() if beta in betas})
        if found:
            return self.reject(error(400, "invalid_request_error", "; ".join(found)), "; ".join(found))
        reply = self.next_reply(Reply(200, message()))
        reply.headers.setdefault("request-id", "req_011CKZ")
        return reply
