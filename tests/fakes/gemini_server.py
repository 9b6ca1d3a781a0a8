"""A fake Gemini API (`generateContent`): checks `x-goog-api-key`, the model path and the body's wire rules."""

from __future__ import annotations

import re
from typing import Any

from tests.fakes.http_fake import FakeServer, Received, Reply

BODY_FIELDS = {
    "contents",
    "systemInstruction",
    "generationConfig",
    "tools",
    "toolConfig",
    "safetySettings",
    "cachedContent",
}
PART_KINDS = {"text", "inlineData", "fileData", "functionCall", "functionResponse"}
PATH = re.compile(r"^/v1beta/models/(?P<model>[^/:]+):generateContent$")


def answer_body(
    parts: list[dict[str, Any]] | None = None,
    *,
    finish: str = "STOP",
    usage: dict[str, Any] | None = None,
    model: str = "gemini-2.5-flash",
) -> dict[str, Any]:
    """A generateContent answer as in the reference sheet §3.11."""
    return {
        "candidates": [
            {"content": {"role": "model", "parts": parts or [{"text": "Paris"}]}, "finishReason": finish, "index": 0}
        ],
        "usageMetadata": usage
        or {"promptTokenCount": 11, "candidatesTokenCount": 1, "thoughtsTokenCount": 24, "totalTokenCount": 36},
        "modelVersion": model,
        "responseId": "r4Nx-abc",
    }


def error(status: int, rpc_status: str, text: str) -> Reply:
    return Reply(status, {"error": {"code": status, "message": text, "status": rpc_status}})


def problems(body: Any) -> list[str]:
    """What the real generateContent would reject (or what breaks our alternation promise)."""
    if not isinstance(body, dict):
        return ["body is not a JSON object"]
    found = [f"unknown field {k}" for k in body if k not in BODY_FIELDS]
    contents = body.get("contents")
    if not isinstance(contents, list) or not contents:
        return [*found, "contents missing"]
    for n, content in enumerate(contents):
        if content.get("role") not in ("user", "model"):
            found.append(f"contents[{n}].role {content.get('role')}")
        if n and contents[n - 1].get("role") == content.get("role"):
            found.append(f"contents[{n}] repeats role")
        parts = content.get("parts")
        if not parts:
            found.append(f"contents[{n}] has no parts")
        for part in parts or []:
            kinds = set(part) & PART_KINDS
            if len(kinds) != 1 or set(part) - PART_KINDS - {"thoughtSignature", "thought"}:
                found.append(f"contents[{n}] has a part with keys {sorted(part)}")
            if "text" in part and not part["text"]:
                found.append(f"contents[{n}] has an empty text part")
            response = part.get("functionResponse")
            if response is not None and (not response.get("name") or not isinstance(response.get("response"), dict)):
                found.append(f"contents[{n}] functionResponse needs name and an object response")
    return found


class FakeGemini(FakeServer):
    def __init__(self, expected_key: str) -> None:
        super().__init__()
        self.expected_key = expected_key

    def answer(self, received: Received) -> Reply:
        if PATH.match(received.path) is None:
            return self.reject(error(404, "NOT_FOUND", f"Unknown path {received.path}"), "path")
        if received.headers.get("x-goog-api-key") != self.expected_key:
            return error(400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key.")
        found = problems(received.body)
        if found:
            return self.reject(error(400, "INVALID_ARGUMENT", "; ".join(found)), "; ".join(found))
        return self.next_reply(Reply(200, answer_body()))
