"""Fake OpenAI-wire servers: the chat-completions API with a Bearer key, and Azure's deployment URL with `api-key`."""

from __future__ import annotations

from typing import Any

from tests.fakes.http_fake import FakeServer, Received, Reply

__all__ = ["FakeAzureOpenAI", "FakeOpenAI", "Received", "Reply", "completion", "openai_error"]


def completion(
    content: str = "Paris",
    *,
    model: str = "gpt-4.1-mini-2025-04-14",
    prompt_tokens: int = 21,
    completion_tokens: int = 2,
    cached: int = 0,
) -> dict[str, Any]:
    return {
        "id": "chatcmpl-fake1",
        "object": "chat.completion",
        "created": 1767225600,
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content, "refusal": None},
                "logprobs": None,
                "finish_reason": "stop",
            }
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
            "prompt_tokens_details": {"cached_tokens": cached},
            "completion_tokens_details": {"reasoning_tokens": 0},
        },
    }


def openai_error(status: int, message: str, kind: str = "invalid_request_error", code: str | None = None) -> Reply:
    return Reply(status, {"error": {"message": message, "type": kind, "param": None, "code": code}})


class FakeOpenAI(FakeServer):
    """Serves POST {prefix}/chat/completions; answers 401 in OpenAI's shape unless the Bearer key matches."""

    def __init__(self, expected_key: str, prefix: str = "/v1") -> None:
        super().__init__()
        self.expected_key = expected_key
        self.prefix = prefix

    def expected_path(self, received: Received) -> str:
        return f"{self.prefix}/chat/completions"

    def key_sent(self, received: Received) -> str:
        return received.headers.get("authorization", "").removeprefix("Bearer ")

    def answer(self, received: Received) -> Reply:
        expected = self.expected_path(received)
        if received.path != expected:
            return self.reject(
                openai_error(404, f"Unknown path {received.path}"), f"path {received.path} != {expected}"
            )
        shown = self.key_sent(received)
        if shown != self.expected_key:
            return openai_error(401, f"Incorrect API key provided: {shown}.", code="invalid_api_key")
        model = received.body.get("model", "gpt-4.1-mini") if isinstance(received.body, dict) else "gpt-4.1-mini"
        reply = self.next_reply(Reply(200, completion(model=model or "gpt-4.1-mini")))
        reply.headers.setdefault("x-request-id", "req_upstream_123")
        return reply

    @property
    def base_url(self) -> str:
        return f"{self.origin}{self.prefix}"


class FakeAzureOpenAI(FakeOpenAI):
    """Azure's classic route: /openai/deployments/{deployment}/chat/completions?api-version=..., key in `api-key`."""

    def __init__(self, expected_key: str, deployment: str, api_version: str) -> None:
        super().__init__(expected_key, prefix="")
        self.deployment = deployment
        self.api_version = api_version

    def expected_path(self, received: Received) -> str:
        return f"/openai/deployments/{self.deployment}/chat/completions?api-version={self.api_version}"

    def key_sent(self, received: Received) -> str:
        return received.headers.get("api-key", "")
