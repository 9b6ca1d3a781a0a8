"""One conformance case per provider: its fake upstream, credential, wire-format views and reference-sheet replies.

A `Wire` reads what the gateway sent in one wire format (OpenAI, Anthropic, Gemini, Bedrock) into the same
neutral shapes, so the conformance suite can assert the same things for every provider.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.fakes import anthropic_server, bedrock_server, gemini_server
from tests.fakes.anthropic_server import FakeAnthropic
from tests.fakes.bedrock_server import FakeBedrock
from tests.fakes.gemini_server import FakeGemini
from tests.fakes.http_fake import FakeServer, Received, Reply
from tests.fakes.openai_server import FakeAzureOpenAI, FakeOpenAI, completion, openai_error
from tests.fakes.vertex_server import FakeVertex

SECRET = "sk-canary-conformance-5d1e9b7c3a"
AWS_KEY_ID, AWS_SECRET, AWS_SESSION = (
    "AKIDCONFORMANCE01",
    "wJalrXUtnFEMI/K7MDENG+bPxRfiCYCONFORMANCE",
    "IQoJb3JpZ2luX2VjEKT",
)
SA_EMAIL = "gateway@acme-ai.iam.gserviceaccount.com"
SA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
SA_PRIVATE_PEM = SA_KEY.private_bytes(
    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
).decode()
SA_PUBLIC_PEM = (
    SA_KEY.public_key()
    .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    .decode()
)
PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk"
WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather for a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}

Part = tuple[str, ...]  # ("text", text) or ("image", media type, base64 data)
Turn = tuple[str, list[Part]]  # (user|assistant|tool, parts)


@dataclass(frozen=True)
class ToolUse:
    call_id: str
    name: str
    arguments: dict[str, Any]


class Wire:
    """Neutral views of a request body in one wire format."""

    def system(self, body: dict[str, Any]) -> str | None: ...
    def turns(self, body: dict[str, Any]) -> list[Turn]: ...
    def tool_names(self, body: dict[str, Any]) -> list[str]: ...
    def tool_uses(self, body: dict[str, Any]) -> list[ToolUse]: ...
    def tool_results(self, body: dict[str, Any]) -> list[tuple[str, str]]: ...


def _openai_parts(content: Any) -> list[Part]:
    if isinstance(content, str):
        return [("text", content)]
    parts: list[Part] = []
    for part in content or []:
        if part["type"] == "text":
            parts.append(("text", part["text"]))
        else:
            mime, data = part["image_url"]["url"].removeprefix("data:").split(";base64,")
            parts.append(("image", mime, data))
    return parts


class OpenAIWire(Wire):
    def system(self, body: dict[str, Any]) -> str | None:
        texts = [
            "".join(p[1] for p in _openai_parts(m["content"]))
            for m in body["messages"]
            if m["role"] in ("system", "developer")
        ]
        return "\n\n".join(texts) or None

    def turns(self, body: dict[str, Any]) -> list[Turn]:
        return [
            (m["role"], _openai_parts(m.get("content")))
            for m in body["messages"]
            if m["role"] not in ("system", "developer")
        ]

    def tool_names(self, body: dict[str, Any]) -> list[str]:
        return [t["function"]["name"] for t in body.get("tools", [])]

    def tool_uses(self, body: dict[str, Any]) -> list[ToolUse]:
        return [
            ToolUse(c["id"], c["function"]["name"], json.loads(c["function"]["arguments"]))
            for m in body["messages"]
            for c in m.get("tool_calls") or []
        ]

    def tool_results(self, body: dict[str, Any]) -> list[tuple[str, str]]:
        return [(m["tool_call_id"], m["content"]) for m in body["messages"] if m["role"] == "tool"]


class AnthropicWire(Wire):
    def system(self, body: dict[str, Any]) -> str | None:
        return body.get("system")

    def turns(self, body: dict[str, Any]) -> list[Turn]:
        turns: list[Turn] = []
        for message in body["messages"]:
            parts: list[Part] = []
            for block in message["content"]:
                if block["type"] == "text":
                    parts.append(("text", block["text"]))
                elif block["type"] == "image":
                    parts.append(("image", block["source"]["media_type"], block["source"]["data"]))
            role = "tool" if all(b["type"] == "tool_result" for b in message["content"]) else message["role"]
            turns.append((role, parts))
        return turns

    def tool_names(self, body: dict[str, Any]) -> list[str]:
        return [t["name"] for t in body.get("tools", [])]

    def tool_uses(self, body: dict[str, Any]) -> list[ToolUse]:
        return [
            ToolUse(b["id"], b["name"], b["input"])
            for m in body["messages"]
            for b in m["content"]
            if b["type"] == "tool_use"
        ]

    def tool_results(self, body: dict[str, Any]) -> list[tuple[str, str]]:
        return [
            (b["tool_use_id"], b["content"])
            for m in body["messages"]
            for b in m["content"]
            if b["type"] == "tool_result"
        ]


class GeminiWire(Wire):
    def system(self, body: dict[str, Any]) -> str | None:
        instruction = body.get("systemInstruction")
        return "".join(p["text"] for p in instruction["parts"]) if instruction else None

    def turns(self, body: dict[str, Any]) -> list[Turn]:
        turns: list[Turn] = []
        for content in body["contents"]:
            parts: list[Part] = []
            for part in content["parts"]:
                if "text" in part:
                    parts.append(("text", part["text"]))
                elif "inlineData" in part:
                    parts.append(("image", part["inlineData"]["mimeType"], part["inlineData"]["data"]))
            is_result = all("functionResponse" in p for p in content["parts"])
            turns.append(("tool" if is_result else {"user": "user", "model": "assistant"}[content["role"]], parts))
        return turns

    def tool_names(self, body: dict[str, Any]) -> list[str]:
        return [d["name"] for t in body.get("tools", []) for d in t["functionDeclarations"]]

    def tool_uses(self, body: dict[str, Any]) -> list[ToolUse]:
        return [
            ToolUse(p["functionCall"]["id"], p["functionCall"]["name"], p["functionCall"]["args"])
            for c in body["contents"]
            for p in c["parts"]
            if "functionCall" in p
        ]

    def tool_results(self, body: dict[str, Any]) -> list[tuple[str, str]]:
        return [
            (p["functionResponse"]["id"], json.dumps(p["functionResponse"]["response"]))
            for c in body["contents"]
            for p in c["parts"]
            if "functionResponse" in p
        ]


class BedrockWire(Wire):
    def system(self, body: dict[str, Any]) -> str | None:
        return "".join(b["text"] for b in body["system"]) if body.get("system") else None

    def turns(self, body: dict[str, Any]) -> list[Turn]:
        turns: list[Turn] = []
        for message in body["messages"]:
            parts: list[Part] = []
            for block in message["content"]:
                if "text" in block:
                    parts.append(("text", block["text"]))
                elif "image" in block:
                    parts.append(("image", f"image/{block['image']['format']}", block["image"]["source"]["bytes"]))
            is_result = all("toolResult" in b for b in message["content"])
            turns.append(("tool" if is_result else message["role"], parts))
        return turns

    def tool_names(self, body: dict[str, Any]) -> list[str]:
        return [t["toolSpec"]["name"] for t in body.get("toolConfig", {}).get("tools", [])]

    def tool_uses(self, body: dict[str, Any]) -> list[ToolUse]:
        return [
            ToolUse(b["toolUse"]["toolUseId"], b["toolUse"]["name"], b["toolUse"]["input"])
            for m in body["messages"]
            for b in m["content"]
            if "toolUse" in b
        ]

    def tool_results(self, body: dict[str, Any]) -> list[tuple[str, str]]:
        results = []
        for message in body["messages"]:
            for block in message["content"]:
                if "toolResult" in block:
                    content = block["toolResult"]["content"][0]
                    text = content["text"] if "text" in content else json.dumps(content["json"])
                    results.append((block["toolResult"]["toolUseId"], text))
        return results


@dataclass(frozen=True)
class Usage:
    """A usage body in the provider's shape and the metrics it must produce."""

    reply_usage: dict[str, Any]
    prompt: int
    cached: int
    cache_write: int
    completion: int
    reasoning: int


@dataclass
class Case:
    id: str
    provider: str
    model: str
    wire: Wire
    make_fake: Callable[[], FakeServer]
    credential: Callable[[FakeServer, str], dict[str, Any]]  # (fake, base URL) -> POST body
    text_reply: Callable[[str], Reply]
    tool_reply: Callable[[ToolUse], Reply]
    usage: Usage
    usage_reply: Callable[[dict[str, Any]], Reply]
    error: Callable[[int, str], Reply]
    plain_body: Callable[[str], dict[str, Any]]  # the exact body for the plain-chat request
    auth_ok: Callable[[Received], bool]
    path: Callable[[str], str]
    secret: str = SECRET  # what a provider might echo back in an error body


# -- OpenAI wire ---------------------------------------------------------------------------------------
def _openai_text(text: str) -> Reply:
    return Reply(200, completion(text))


def _openai_tool(use: ToolUse) -> Reply:
    body = completion(None)  # type: ignore[arg-type]
    body["choices"][0]["message"]["tool_calls"] = [
        {"id": use.call_id, "type": "function", "function": {"name": use.name, "arguments": json.dumps(use.arguments)}}
    ]
    body["choices"][0]["finish_reason"] = "tool_calls"
    return Reply(200, body)


def _openai_usage(usage: dict[str, Any]) -> Reply:
    body = completion()
    body["usage"] = usage
    return Reply(200, body)


OPENAI_USAGE = Usage(
    {
        "prompt_tokens": 1000,
        "completion_tokens": 300,
        "total_tokens": 1300,
        "prompt_tokens_details": {"cached_tokens": 400},
        "completion_tokens_details": {"reasoning_tokens": 200},
    },
    1000,
    400,
    0,
    300,
    200,
)
FAMILY_USAGE = {
    "openrouter": Usage(
        {
            "prompt_tokens": 1000,
            "completion_tokens": 300,
            "total_tokens": 1300,
            "prompt_tokens_details": {"cached_tokens": 400, "cache_write_tokens": 50},
            "completion_tokens_details": {"reasoning_tokens": 200},
            "cost": 0.0021,
            "is_byok": False,
        },
        1000,
        400,
        50,
        300,
        200,
    ),
    "deepseek": Usage(
        {
            "prompt_tokens": 1000,
            "completion_tokens": 300,
            "total_tokens": 1300,
            "prompt_cache_hit_tokens": 400,
            "prompt_cache_miss_tokens": 600,
            "completion_tokens_details": {"reasoning_tokens": 200},
        },
        1000,
        400,
        0,
        300,
        200,
    ),
    "xai": Usage(  # reasoning reported outside completion_tokens
        {
            "prompt_tokens": 1000,
            "completion_tokens": 100,
            "total_tokens": 1300,
            "prompt_tokens_details": {"cached_tokens": 400, "text_tokens": 1000},
            "completion_tokens_details": {"reasoning_tokens": 200},
            "num_sources_used": 0,
        },
        1000,
        400,
        0,
        300,
        200,
    ),
    "perplexity": Usage(
        {
            "prompt_tokens": 1000,
            "completion_tokens": 300,
            "total_tokens": 1300,
            "reasoning_tokens": 200,
            "citation_tokens": 40,
            "num_search_queries": 1,
            "cost": {"input_tokens_cost": 0.001, "output_tokens_cost": 0.0003, "total_cost": 0.0063},
        },
        1000,
        0,
        0,
        300,
        200,
    ),
    "together": Usage({"prompt_tokens": 1000, "completion_tokens": 300, "total_tokens": 1300}, 1000, 0, 0, 300, 0),
    "mistral": Usage({"prompt_tokens": 1000, "completion_tokens": 300, "total_tokens": 1300}, 1000, 0, 0, 300, 0),
}
PLAIN_PARAMS = {"temperature": 0.2, "max_tokens": 16}


def _bearer(received: Received) -> bool:
    return received.headers.get("authorization") == f"Bearer {SECRET}"


def _family_case(provider: str, model: str, prefix: str = "/v1") -> Case:
    def plain(system: str) -> dict[str, Any]:
        return {
            "model": model,
            "messages": [{"role": "system", "content": system}, {"role": "user", "content": "Capital of France?"}],
            **PLAIN_PARAMS,
        }

    return Case(
        id=provider,
        provider=provider,
        model=model,
        wire=OpenAIWire(),
        make_fake=lambda: FakeOpenAI(SECRET, prefix=prefix),
        credential=lambda fake, base: {"provider": provider, "apiKey": SECRET, "config": {"baseUrl": base}},
        text_reply=_openai_text,
        tool_reply=_openai_tool,
        usage=FAMILY_USAGE.get(provider, OPENAI_USAGE),
        usage_reply=_openai_usage,
        error=lambda status, text: openai_error(status, text),
        plain_body=plain,
        auth_ok=_bearer,
        path=lambda m: f"{prefix}/chat/completions",
    )


def _azure_case() -> Case:
    def plain(system: str) -> dict[str, Any]:
        return {
            "messages": [{"role": "system", "content": system}, {"role": "user", "content": "Capital of France?"}],
            **PLAIN_PARAMS,
        }

    case = _family_case("azure_openai", "gpt-4o")
    case.make_fake = lambda: FakeAzureOpenAI(SECRET, "gpt4o-prod", "2024-10-21")
    case.credential = lambda fake, base: {
        "provider": "azure_openai",
        "apiKey": SECRET,
        "config": {"endpoint": base, "deployment": "gpt4o-prod", "apiVersion": "2024-10-21"},
    }
    case.plain_body = plain
    case.auth_ok = lambda r: r.headers.get("api-key") == SECRET and "authorization" not in r.headers
    case.path = lambda m: "/openai/deployments/gpt4o-prod/chat/completions?api-version=2024-10-21"
    return case


# -- Anthropic wire ------------------------------------------------------------------------------------
ANTHROPIC_USAGE = Usage(
    {
        "input_tokens": 200,
        "output_tokens": 300,
        "cache_creation_input_tokens": 100,
        "cache_read_input_tokens": 700,
        "cache_creation": {"ephemeral_5m_input_tokens": 100, "ephemeral_1h_input_tokens": 0},
        "output_tokens_details": {"thinking_tokens": 200},
    },
    1000,
    700,
    100,
    300,
    200,
)


def _anthropic_plain(model: str | None) -> Callable[[str], dict[str, Any]]:
    def plain(system: str) -> dict[str, Any]:
        head = {"model": model} if model else {"anthropic_version": "vertex-2023-10-16"}
        return {
            **head,
            "max_tokens": 16,
            "system": system,
            "messages": [{"role": "user", "content": [{"type": "text", "text": "Capital of France?"}]}],
            "temperature": 0.2,
        }

    return plain


def _anthropic_tool(use: ToolUse) -> Reply:
    return Reply(
        200,
        anthropic_server.message(
            "Let me check.",
            tool_use={"id": use.call_id, "name": use.name, "input": use.arguments},
            stop_reason="tool_use",
        ),
    )


def _anthropic_case() -> Case:
    return Case(
        id="anthropic",
        provider="anthropic",
        model="claude-sonnet-4-5",
        wire=AnthropicWire(),
        make_fake=lambda: FakeAnthropic(SECRET),
        credential=lambda fake, base: {"provider": "anthropic", "apiKey": SECRET, "config": {"baseUrl": base}},
        text_reply=lambda text: Reply(200, anthropic_server.message(text)),
        tool_reply=_anthropic_tool,
        usage=ANTHROPIC_USAGE,
        usage_reply=lambda usage: Reply(200, anthropic_server.message(usage=usage)),
        error=lambda status, text: anthropic_server.error(status, "invalid_request_error", text),
        plain_body=_anthropic_plain("claude-sonnet-4-5"),
        auth_ok=lambda r: r.headers.get("x-api-key") == SECRET and r.headers.get("anthropic-version") == "2023-06-01",
        path=lambda m: "/v1/messages",
    )


# -- Gemini wire ---------------------------------------------------------------------------------------
GEMINI_USAGE = Usage(
    {
        "promptTokenCount": 1000,
        "cachedContentTokenCount": 400,
        "candidatesTokenCount": 100,
        "thoughtsTokenCount": 200,
        "totalTokenCount": 1300,
    },
    1000,
    400,
    0,
    300,
    200,
)


def _gemini_plain(system: str) -> dict[str, Any]:
    return {
        "systemInstruction": {"parts": [{"text": system}]},
        "contents": [{"role": "user", "parts": [{"text": "Capital of France?"}]}],
        "generationConfig": {"temperature": 0.2, "maxOutputTokens": 16},
    }


def _gemini_tool(use: ToolUse) -> Reply:
    part = {"functionCall": {"name": use.name, "args": use.arguments}, "thoughtSignature": "c2lnbmF0dXJl"}
    return Reply(200, gemini_server.answer_body([part]))


def _gemini_case() -> Case:
    return Case(
        id="gemini",
        provider="gemini",
        model="gemini-2.5-flash",
        wire=GeminiWire(),
        make_fake=lambda: FakeGemini(SECRET),
        credential=lambda fake, base: {"provider": "gemini", "apiKey": SECRET, "config": {"baseUrl": base}},
        text_reply=lambda text: Reply(200, gemini_server.answer_body([{"text": text}])),
        tool_reply=_gemini_tool,
        usage=GEMINI_USAGE,
        usage_reply=lambda usage: Reply(200, gemini_server.answer_body(usage=usage)),
        error=lambda status, text: gemini_server.error(status, "INVALID_ARGUMENT", text),
        plain_body=_gemini_plain,
        auth_ok=lambda r: r.headers.get("x-goog-api-key") == SECRET and "key=" not in r.path,
        path=lambda m: f"/v1beta/models/{m}:generateContent",
    )


# -- Bedrock wire --------------------------------------------------------------------------------------
BEDROCK_USAGE = Usage(
    {
        "inputTokens": 200,
        "outputTokens": 300,
        "totalTokens": 1300,
        "cacheReadInputTokens": 700,
        "cacheWriteInputTokens": 100,
    },
    1000,
    700,
    100,
    300,
    0,
)


def _bedrock_plain(system: str) -> dict[str, Any]:
    return {
        "messages": [{"role": "user", "content": [{"text": "Capital of France?"}]}],
        "system": [{"text": system}],
        "inferenceConfig": {"maxTokens": 16, "temperature": 0.2},
    }


def _bedrock_tool(use: ToolUse) -> Reply:
    content = [{"text": "Checking."}, {"toolUse": {"toolUseId": use.call_id, "name": use.name, "input": use.arguments}}]
    return Reply(200, bedrock_server.answer_body(content, stop_reason="tool_use"))


def _bedrock_case() -> Case:
    return Case(
        id="aws_bedrock",
        provider="aws_bedrock",
        model="anthropic.claude-3-haiku-20240307-v1:0",
        wire=BedrockWire(),
        make_fake=lambda: FakeBedrock(AWS_KEY_ID, AWS_SECRET, "us-east-1", AWS_SESSION),
        credential=lambda fake, base: {
            "provider": "aws_bedrock",
            "secrets": {"accessKeyId": AWS_KEY_ID, "secretAccessKey": AWS_SECRET, "sessionToken": AWS_SESSION},
            "config": {"region": "us-east-1", "baseUrl": base},
        },
        text_reply=lambda text: Reply(200, bedrock_server.answer_body([{"text": text}])),
        tool_reply=_bedrock_tool,
        usage=BEDROCK_USAGE,
        usage_reply=lambda usage: Reply(200, bedrock_server.answer_body(usage=usage)),
        error=lambda status, text: bedrock_server.error(status, "ValidationException", text),
        plain_body=_bedrock_plain,
        auth_ok=lambda r: r.headers.get("authorization", "").startswith(f"AWS4-HMAC-SHA256 Credential={AWS_KEY_ID}/"),
        path=lambda m: "/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse",
        secret=AWS_SECRET,
    )


# -- Vertex (Google's front end; Gemini or Anthropic bodies) -------------------------------------------
def _vertex_credential(fake: FakeServer, base: str) -> dict[str, Any]:
    assert isinstance(fake, FakeVertex)
    return {
        "provider": "google_vertex",
        "secrets": {"clientEmail": SA_EMAIL, "privateKey": SA_PRIVATE_PEM, "privateKeyId": "kid-0001"},
        "config": {"projectId": "acme-ai", "location": "us-east5", "tokenUri": fake.token_uri, "baseUrl": base},
    }


def _vertex_fake() -> FakeVertex:
    return FakeVertex(SA_EMAIL, SA_PUBLIC_PEM, "acme-ai", "us-east5")


def _vertex_bearer(received: Received) -> bool:
    return received.headers.get("authorization", "").startswith("Bearer ya29.fake-")


def _vertex_gemini_case() -> Case:
    case = _gemini_case()
    case.id, case.provider = "google_vertex-gemini", "google_vertex"
    case.make_fake, case.credential, case.auth_ok = _vertex_fake, _vertex_credential, _vertex_bearer
    case.secret = "ya29.fake-1"  # the access token the fake issued
    case.path = lambda m: f"/v1/projects/acme-ai/locations/us-east5/publishers/google/models/{m}:generateContent"
    case.error = lambda status, text: gemini_server.error(status, "FAILED_PRECONDITION", text)
    return case


def _vertex_claude_case() -> Case:
    case = _anthropic_case()
    case.id, case.provider, case.model = "google_vertex-claude", "google_vertex", "claude-sonnet-4-5@20250929"
    case.make_fake, case.credential, case.auth_ok = _vertex_fake, _vertex_credential, _vertex_bearer
    case.secret = "ya29.fake-1"
    case.plain_body = _anthropic_plain(None)
    case.path = lambda m: f"/v1/projects/acme-ai/locations/us-east5/publishers/anthropic/models/{m}:rawPredict"
    return case


CASES = [
    _family_case("openai", "gpt-4.1-mini"),
    _family_case("mistral", "mistral-small-latest"),
    _family_case("deepseek", "deepseek-v4-flash", prefix=""),
    _family_case("openrouter", "openai/gpt-4o-mini", prefix="/api/v1"),
    _family_case("together", "meta-llama/Llama-3.3-70B-Instruct-Turbo"),
    _family_case("perplexity", "sonar", prefix=""),
    _family_case("xai", "grok-4-fast-non-reasoning"),
    _azure_case(),
    _family_case("openai_compatible", "llama-3.1-8b-instruct"),
    _anthropic_case(),
    _gemini_case(),
    _bedrock_case(),
    _vertex_gemini_case(),
    _vertex_claude_case(),
]
