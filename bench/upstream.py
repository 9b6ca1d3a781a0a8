"""A fast fake OpenAI-compatible upstream: raw asyncio protocol, keep-alive, optional fixed latency.

It answers every `POST .../chat/completions` with a pre-serialised priced completion, so it costs a
few tens of microseconds per request and is never the bottleneck. Token counts cycle through many
values, as real traffic's do, so a gateway's cost computation cannot live off one cached answer.
Run: `python -m bench.upstream --port N`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Iterator
from itertools import cycle
from typing import Any

from bench.loop import run

MODEL = "gpt-4.1-mini-2025-04-14"  # priced in genai-prices, so the gateway computes a real cost

USAGE_VARIANTS = 10_007  # more distinct (prompt, completion) counts than a 4096-entry LRU keeps

COMPLETION: dict[str, Any] = {
    "id": "chatcmpl-bench",
    "object": "chat.completion",
    "created": 1767225600,
    "model": MODEL,
    "choices": [
        {
            "index": 0,
            "message": {"role": "assistant", "content": "Hello! How can I help you today?", "refusal": None},
            "logprobs": None,
            "finish_reason": "stop",
        }
    ],
    "usage": {
        "prompt_tokens": 12,
        "completion_tokens": 9,
        "total_tokens": 21,
        "prompt_tokens_details": {"cached_tokens": 0},
        "completion_tokens_details": {"reasoning_tokens": 0},
    },
    "system_fingerprint": "fp_bench",
}


def _response(status: str, body: bytes) -> bytes:
    head = (
        f"HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {len(body)}\r\n"
        "x-request-id: req_bench\r\n\r\n"
    )
    return head.encode("ascii") + body


def _completion(variant: int) -> bytes:
    prompt, completion = 12 + variant, 9 + variant % 97
    usage = {**COMPLETION["usage"], "prompt_tokens": prompt, "completion_tokens": completion}
    usage["total_tokens"] = prompt + completion
    return _response("200 OK", json.dumps({**COMPLETION, "usage": usage}, separators=(",", ":")).encode())


OK = _completion(0)
NOT_FOUND = _response("404 Not Found", b'{"error":{"message":"not found","type":"invalid_request_error"}}')


class UpstreamProtocol(asyncio.Protocol):
    """HTTP/1.1 with keep-alive and pipelining; reads Content-Length bodies (all our clients send them)."""

    def __init__(self, latency: float, answers: Iterator[bytes]) -> None:
        self._latency = latency
        self._answers = answers
        self._buffer = bytearray()
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]  # uvloop's transports are not subclasses

    def data_received(self, data: bytes) -> None:
        buffer = self._buffer
        buffer += data
        while True:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(buffer[:end]).lower()
            length = 0
            start = head.find(b"content-length:")
            if start >= 0:
                stop = head.find(b"\r\n", start)
                length = int(head[start + 15 : stop if stop >= 0 else len(head)])
            total = end + 4 + length
            if len(buffer) < total:
                return
            del buffer[:total]
            first_line = head[: head.find(b"\r\n")] if b"\r\n" in head else head
            self._answer(next(self._answers) if b"/chat/completions" in first_line else NOT_FOUND)

    def _answer(self, payload: bytes) -> None:
        if self._latency > 0:
            asyncio.get_running_loop().call_later(self._latency, self._write, payload)
        else:
            self._write(payload)

    def _write(self, payload: bytes) -> None:
        if self._transport is not None and not self._transport.is_closing():
            self._transport.write(payload)

    def connection_lost(self, exc: Exception | None) -> None:
        self._transport = None


async def serve(host: str, port: int, latency_ms: float, variants: int) -> None:
    answers = cycle([_completion(v) for v in range(variants)])  # shared by all connections
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: UpstreamProtocol(latency_ms / 1000, answers), host, port, backlog=1024)
    print(f"ready {host}:{port}", flush=True)
    async with server:
        await server.serve_forever()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.upstream", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--latency-ms", type=float, default=0.0, help="fixed delay before each answer")
    parser.add_argument("--usage-variants", type=int, default=USAGE_VARIANTS, help="distinct token counts (1: fixed)")
    args = parser.parse_args(argv)
    try:
        run(serve(args.host, args.port, args.latency_ms, max(1, args.usage_variants)))
    except KeyboardInterrupt:
        sys.exit(0)


if __name__ == "__main__":
    main()
