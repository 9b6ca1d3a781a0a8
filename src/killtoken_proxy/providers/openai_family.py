"""The shared adapter for OpenAI-compatible providers; each member declares only its quirks.

Requests pass through in OpenAI's shape (our own fields never reach it: the doors keep them out of
`params`); answers are normalized: finish reasons outside OpenAI's set mapped (reference §2.2), chunked
content joined, tool-call arguments re-serialized to strings, usage normalized (§2.3).
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from killtoken_proxy import json_codec
from killtoken_proxy.errors import InvalidRequest, KillTokenError, UpstreamError
from killtoken_proxy.gateway.chat_request import ChatRequest
from killtoken_proxy.gateway.upstream import error_from_status, first_message
from killtoken_proxy.providers.base import (
    Credential,
    CredentialShape,
    ProviderResult,
    SignedInRequest,
    UpstreamRequest,
    Usage,
)
from killtoken_proxy.providers.completion import FINISH_REASONS, count, usage_reader
from killtoken_proxy.providers.messages import content_parts
from killtoken_proxy.providers.replay_memory import ReplayMemory

# Non-OpenAI finish reasons seen in the family (reference §2.2); anything else unknown becomes "stop".
FINISH_MAP = {"eos": "stop", "model_length": "length", "insufficient_system_resource": "length", "error": "stop"}

UsageReader = Callable[[dict[str, Any]], Usage]


def _details(usage: dict[str, Any], key: str) -> dict[str, Any]:
    details = usage.get(key)
    return details if isinstance(details, dict) else {}


@usage_reader
def usage_from_openai(usage: Any) -> Usage:
    """OpenAI's usage: cached tokens are inside prompt_tokens, reasoning inside completion_tokens."""
    if not isinstance(usage, dict):
        return Usage(reported=False)
    prompt, completion = _details(usage, "prompt_tokens_details"), _details(usage, "completion_tokens_details")
    return Usage(
        input_tokens=count(usage.get("prompt_tokens")),
        cached_input_tokens=count(prompt.get("cached_tokens")),
        cache_write_tokens=count(prompt.get("cache_write_tokens")),
        output_tokens=count(usage.get("completion_tokens")),
        reasoning_tokens=count(completion.get("reasoning_tokens")) or count(usage.get("reasoning_tokens")),
        raw=usage,
    )


@usage_reader
def usage_deepseek(usage: dict[str, Any]) -> Usage:
    """DeepSeek reports cache hits as `prompt_cache_hit_tokens` (newer bodies also as cached_tokens)."""
    base = usage_from_openai(usage)
    hit = count(usage.get("prompt_cache_hit_tokens"))
    return Usage(**{**base.__dict__, "cached_input_tokens": hit or base.cached_input_tokens})


@usage_reader
def usage_reasoning_apart(usage: dict[str, Any]) -> Usage:
    """xAI counts reasoning outside completion_tokens; the billed output is their sum (reference §3.8)."""
    base = usage_from_openai(usage)
    return Usage(**{**base.__dict__, "output_tokens": base.output_tokens + base.reasoning_tokens})


def mistral_tool_id(call_id: str) -> str:
    """Mistral accepts only 9-character alphanumeric tool-call ids; foreign ids map deterministically."""
    if len(call_id) == 9 and call_id.isascii() and call_id.isalnum():
        return call_id
    return hashlib.sha256(call_id.encode()).hexdigest()[:9]


@dataclass(frozen=True)
class OpenAIFamilyAdapter(SignedInRequest):
    name: str
    default_base_url: str | None
    credential_shape: CredentialShape = field(default_factory=CredentialShape)
    dropped_params: frozenset[str] = frozenset()
    allowed_params: frozenset[str] | None = None  # a whitelist, for providers that 422 on unknown fields
    renamed_params: Mapping[str, str] = field(default_factory=dict)
    developer_as_system: bool = False  # providers without OpenAI's newer `developer` role
    alternate_roles: bool = False  # merge same-role runs for providers that demand user/assistant alternation
    tool_id: Callable[[str], str] | None = None
    read_usage: UsageReader = usage_from_openai
    config_headers: Mapping[str, str] = field(default_factory=dict)  # config key -> header it fills
    # DeepSeek's thinking mode rejects a replayed tool-calling turn without its reasoning_content.
    reasoning_replay: ReplayMemory | None = None
    chat_path: str = "/chat/completions"

    # -- request ----------------------------------------------------------------------------------
    def base_url(self, credential: Credential) -> str:
        base = credential.config.get("baseUrl") or self.default_base_url
        if not base:
            raise InvalidRequest(
                f"The {self.name} credential {credential.id} has no `config.baseUrl`.", code="invalid_credential"
            )
        return str(base).rstrip("/")

    def url(self, request: ChatRequest, credential: Credential) -> str:
        return self.base_url(credential) + self.chat_path

    def auth_headers(self, credential: Credential) -> dict[str, str]:
        header = str(credential.config.get("authHeader") or "Authorization")
        key = credential.secrets["apiKey"]
        return {header: f"Bearer {key}" if header.lower() == "authorization" else key}

    def body_model(self, request: ChatRequest, credential: Credential) -> str | None:
        return request.model

    def to_request(self, request: ChatRequest, credential: Credential) -> UpstreamRequest:
        body: dict[str, Any] = {}
        model = self.body_model(request, credential)
        if model is not None:
            body["model"] = model
        body["messages"] = self._messages(request.messages, request.tenant_id)
        for key, value in request.params.items():
            if key in self.dropped_params or key in self.renamed_params:
                continue
            if self.allowed_params is None or key in self.allowed_params:
                body[key] = value
        for key, target in self.renamed_params.items():
            if key in request.params:  # the renamed (newer) name wins over a direct one
                body[target] = request.params[key]
        headers = {**self.auth_headers(credential), "Content-Type": "application/json", "Accept": "application/json"}
        headers.update(
            (header, str(credential.config[key]))
            for key, header in self.config_headers.items()
            if credential.config.get(key)
        )
        return UpstreamRequest(
            url=self.url(request, credential),
            headers=headers,
            body=json_codec.dumps(body),
        )

    def _messages(self, messages: list[dict[str, Any]], scope: str) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = []
        for original in messages:
            message = dict(original)
            if isinstance(message.get("content"), list):
                message["content"] = content_parts(message["content"])
            if self.developer_as_system and message.get("role") == "developer":
                message["role"] = "system"
            if self.tool_id is not None:
                message = self._rewrite_tool_ids(message, self.tool_id)
            if self.reasoning_replay is not None:
                _restore_reasoning(message, self.reasoning_replay, scope)
            if self.alternate_roles and result and _same_speaker(result[-1], message):
                result[-1] = {**result[-1], "content": _joined(result[-1].get("content"), message.get("content"))}
                continue
            result.append(message)
        return result

    @staticmethod
    def _rewrite_tool_ids(message: dict[str, Any], rewrite: Callable[[str], str]) -> dict[str, Any]:
        if isinstance(message.get("tool_call_id"), str):
            message["tool_call_id"] = rewrite(message["tool_call_id"])
        if isinstance(message.get("tool_calls"), list):
            message["tool_calls"] = [
                {**c, "id": rewrite(c["id"])} if isinstance(c, dict) and isinstance(c.get("id"), str) else c
                for c in message["tool_calls"]
            ]
        return message

    # -- response ---------------------------------------------------------------------------------
    def from_response(self, request: ChatRequest, body: Any) -> ProviderResult:
        if not isinstance(body, dict) or not isinstance(body.get("choices"), list):
            raise UpstreamError(f"{self.name} returned a response that is not a chat completion.")
        if "id" not in body:  # not setdefault: its argument would be built on every call
            body["id"] = f"chatcmpl-{uuid.uuid4().hex}"
        body.setdefault("object", "chat.completion")
        if "created" not in body:
            body["created"] = int(time.time())
        if not body.get("model"):
            body["model"] = request.model
        for choice in body["choices"]:
            if isinstance(choice, dict):
                _normalize_choice(choice)
                if self.reasoning_replay is not None:
                    _remember_reasoning(choice, self.reasoning_replay, request.tenant_id)
        raw_usage = body.get("usage")
        usage = self.read_usage(raw_usage) if isinstance(raw_usage, dict) else Usage(reported=False)
        if (
            isinstance(raw_usage, dict)
            and usage.reported
            and usage.output_tokens != count(raw_usage.get("completion_tokens"))
        ):
            body["usage"] = {**raw_usage, "completion_tokens": usage.output_tokens, "total_tokens": usage.total_tokens}
        return ProviderResult(body=body, usage=usage, model=str(body["model"]))

    def map_error(self, status: int, body: Any, headers: Mapping[str, str]) -> KillTokenError:
        return error_from_status(self.name, status, first_message(body), headers)


def _call_ids(message: dict[str, Any]) -> list[str]:
    calls = message.get("tool_calls")
    return (
        [c["id"] for c in calls if isinstance(c, dict) and isinstance(c.get("id"), str)]
        if isinstance(calls, list)
        else []
    )


def _remember_reasoning(choice: dict[str, Any], memory: ReplayMemory, scope: str) -> None:
    message = choice.get("message")
    if isinstance(message, dict) and isinstance(message.get("reasoning_content"), str):
        for call_id in _call_ids(message):
            memory.remember(scope, call_id, message["reasoning_content"])


def _restore_reasoning(message: dict[str, Any], memory: ReplayMemory, scope: str) -> None:
    if message.get("role") == "assistant" and not message.get("reasoning_content"):
        found = next((r for r in (memory.recall(scope, i) for i in _call_ids(message)) if r), None)
        if found:
            message["reasoning_content"] = found


def _same_speaker(previous: dict[str, Any], message: dict[str, Any]) -> bool:
    role = message.get("role")
    return (
        role in ("user", "assistant")
        and previous.get("role") == role
        and not (previous.get("tool_calls") or message.get("tool_calls"))
    )


def _joined(first: Any, second: Any) -> Any:
    if isinstance(first, str) and isinstance(second, str):
        return f"{first}\n\n{second}"
    as_parts = [[{"type": "text", "text": c}] if isinstance(c, str) else list(c or []) for c in (first, second)]
    return as_parts[0] + as_parts[1]


def _normalize_choice(choice: dict[str, Any]) -> None:
    message = choice.get("message")
    if isinstance(message, dict):
        content = message.get("content")
        if isinstance(content, list):  # Mistral: a list of chunks; text chunks make the answer
            message["content"] = "".join(
                str(c.get("text", "")) for c in content if isinstance(c, dict) and c.get("type") == "text"
            )
        for call in message.get("tool_calls") or []:
            function = call.get("function") if isinstance(call, dict) else None
            if isinstance(function, dict) and not isinstance(function.get("arguments"), str):
                function["arguments"] = json.dumps(function.get("arguments") or {})
    reason = choice.get("finish_reason")
    if reason not in FINISH_REASONS:
        has_calls = isinstance(message, dict) and bool(message.get("tool_calls"))
        choice["finish_reason"] = FINISH_MAP.get(str(reason), "tool_calls" if has_calls else "stop")
