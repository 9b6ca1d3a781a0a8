"""A fake OpenAI chat-completions server that checks the Bearer key it receives and records each call."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class Reply:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


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


class FakeOpenAI:
    """Serves POST {prefix}/chat/completions; answers 401 in OpenAI's shape unless the key matches."""

    def __init__(self, expected_key: str, prefix: str = "/v1") -> None:
        self.expected_key = expected_key
        self.prefix = prefix
        self.received: list[Received] = []
        self.replies: list[Reply] = []  # queued replies; default is a normal completion
        self.delay = 0.0  # seconds to wait before answering, so concurrent calls overlap
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # keep test output quiet
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", "0"))
                raw = self.rfile.read(length)
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = raw.decode("utf-8", "replace")
                fake.received.append(Received("POST", self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                reply = fake._reply_for(self.path, self.headers.get("authorization", ""), body)
                time.sleep(fake.delay)
                payload = reply.body if isinstance(reply.body, bytes) else json.dumps(reply.body).encode()
                self.send_response(reply.status)
                self.send_header("content-type", reply.headers.pop("content-type", "application/json"))
                self.send_header("x-request-id", "req_upstream_123")
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def _reply_for(self, path: str, authorization: str, body: Any) -> Reply:
        if path != f"{self.prefix}/chat/completions":
            return Reply(404, {"error": {"message": f"Unknown path {path}", "type": "invalid_request_error"}})
        if authorization != f"Bearer {self.expected_key}":
            shown = authorization.removeprefix("Bearer ")
            return Reply(
                401,
                {
                    "error": {
                        "message": f"Incorrect API key provided: {shown}.",
                        "type": "invalid_request_error",
                        "code": "invalid_api_key",
                    }
                },
            )
        if self.replies:
            return self.replies.pop(0)
        model = body.get("model", "gpt-4.1-mini") if isinstance(body, dict) else "gpt-4.1-mini"
        return Reply(200, completion(model=model))

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}{self.prefix}"

    def start(self) -> FakeOpenAI:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
