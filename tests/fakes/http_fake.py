"""A loopback HTTP server base for provider fakes: records what arrived, answers per wire format.

Subclasses implement `answer(received)`: check the URL, method, auth and body the real provider would
check, and return its reply (queued `replies` are served once those checks pass).
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # concurrency tests open many connections at once


@dataclass
class Received:
    method: str
    path: str  # with the query string, exactly as sent
    headers: dict[str, str]  # lower-cased names
    body: Any  # parsed JSON, else the text
    raw: bytes = b""


@dataclass
class Reply:
    status: int = 200
    body: Any = None  # JSON-able, or bytes sent as they are
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before answering (timeouts)


class FakeServer:
    def __init__(self) -> None:
        self.received: list[Received] = []
        self.replies: list[Reply] = []
        self.problems: list[str] = []  # wire-format violations the fake noticed
        self.delay = 0.0  # seconds every answer waits, so concurrent calls overlap
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # keep test output quiet
                pass

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("content-length", "0")))
                try:
                    body: Any = json.loads(raw)
                except ValueError:
                    body = raw.decode("utf-8", "replace")
                received = Received("POST", self.path, {k.lower(): v for k, v in self.headers.items()}, body, raw)
                fake.received.append(received)
                reply = fake.answer(received)
                if reply.delay or fake.delay:
                    time.sleep(reply.delay + fake.delay)
                payload = reply.body if isinstance(reply.body, bytes) else json.dumps(reply.body).encode()
                headers = dict(reply.headers)
                try:
                    self.send_response(reply.status)
                    self.send_header("content-type", headers.pop("content-type", "application/json"))
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.send_header("content-length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):  # the gateway gave up (timeout test)
                    pass

        self._server = _Server(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def answer(self, received: Received) -> Reply:
        raise NotImplementedError

    def next_reply(self, default: Reply) -> Reply:
        return self.replies.pop(0) if self.replies else default

    def reject(self, reply: Reply, problem: str) -> Reply:
        self.problems.append(problem)
        return reply

    @property
    def origin(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def base_url(self) -> str:
        """What a credential's `config.baseUrl` points at (the provider's API root on this fake)."""
        return self.origin

    def start(self) -> FakeServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
