"""AWS Bedrock: the Converse API (bedrock-runtime), signed with SigV4 (signing name `bedrock`, see sigv4.py).

Credential: `secrets: {accessKeyId, secretAccessKey, sessionToken?}` and `config.region`. Converse has no
`tool_choice: none`: tools are then left out (kept without a choice if earlier turns used them).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from killtoken_proxy import json_codec
from killtoken_proxy.errors import KillTokenError, UpstreamError
from killtoken_proxy.gateway.chat_request import ChatRequest
from killtoken_proxy.gateway.upstream import error_from_status, first_message
from killtoken_proxy.providers import messages as m
from killtoken_proxy.providers import sigv4
from killtoken_proxy.providers.base import (
    Credential,
    CredentialShape,
    ProviderResult,
    SignedInRequest,
    UpstreamRequest,
    Usage,
)
from killtoken_proxy.providers.completion import chat_completion, choice, count, tool_call, usage_reader

NAME = "aws_bedrock"
SIGNING_NAME = "bedrock"
IMAGE_FORMATS = {"image/png": "png", "image/jpeg": "jpeg", "image/gif": "gif", "image/webp": "webp"}
STOP_REASONS = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "tool_use": "tool_calls",
    "guardrail_intervened": "content_filter",
    "content_filtered": "content_filter",
}


def _text(text: str) -> dict[str, Any]:
    return {"text": text}


def _image(url: str, where: str) -> dict[str, Any]:
    image = m.inline_image(url, where, NAME, IMAGE_FORMATS)
    return {"image": {"format": IMAGE_FORMATS[image.media_type], "source": {"bytes": image.data}}}


def _tool_result(call_id: str, text: str) -> dict[str, Any]:
    try:
        parsed = json.loads(text)
    except ValueError:
        parsed = None
    content = [{"json": parsed}] if isinstance(parsed, dict) else [{"text": text or "(empty)"}]
    return {"toolResult": {"toolUseId": call_id, "content": content, "status": "success"}}


def _messages(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    turns: list[dict[str, Any]] = []
    for index, message in m.conversation(messages):
        role, where = message["role"], f"messages[{index}].content"
        if role in ("user", "assistant"):
            blocks = m.each_part(message.get("content"), where, _text, _image, NAME)
            for call_id, name, args in m.tool_calls_of(message, index) if role == "assistant" else []:
                blocks.append({"toolUse": {"toolUseId": call_id, "name": name, "input": args}})
            turns.append({"role": role, "content": blocks})
        elif role == "tool":
            text = m.plain_text(message.get("content"), where)
            turns.append({"role": "user", "content": [_tool_result(m.tool_call_id_of(message, index), text)]})
        else:
            raise m.invalid_messages(f"`messages[{index}].role` `{role}` is not supported for {NAME}; use tools.")
    return m.merge_runs(turns, "role", "content")


def _tool_config(params: dict[str, Any], turns: list[dict[str, Any]]) -> dict[str, Any] | None:
    tools = m.function_tools(params)
    if not tools:
        return None
    picked = m.tool_choice(params)
    history_uses_tools = any("toolUse" in b or "toolResult" in b for t in turns for b in t["content"])
    if picked is not None and picked[0] == "none" and not history_uses_tools:
        return None
    config: dict[str, Any] = {
        "tools": [
            {
                "toolSpec": {
                    "name": t.name,
                    **({"description": t.description} if t.description else {}),
                    "inputSchema": {"json": t.parameters},
                }
            }
            for t in tools
        ]
    }
    if picked is not None and picked[0] != "none":
        config["toolChoice"] = {
            "auto": {"auto": {}},
            "required": {"any": {}},
            "function": {"tool": {"name": picked[1]}},
        }[picked[0]]
    return config


def converse_body(request: ChatRequest) -> dict[str, Any]:
    """The Converse body; `modelId` goes in the URL. Unknown params are dropped."""
    params = request.params
    m.single_choice(params, NAME)
    response_format = m.json_schema_format(params)
    if response_format is not None and response_format[0] == "json_schema":
        raise m.invalid_param(
            f"`response_format` json_schema is not supported for {NAME}; describe the shape in the prompt.",
            "response_format",
        )
    body: dict[str, Any] = {"messages": _messages(request.messages)}
    system = m.system_prompt(request.messages)
    if system:
        body["system"] = [{"text": system}]
    inference: dict[str, Any] = {}
    max_tokens = m.integer(params, "max_completion_tokens", "max_tokens")
    if max_tokens is not None:
        inference["maxTokens"] = max_tokens
    for key, value in (
        ("temperature", m.number(params, "temperature", (0, 1))),
        ("topP", m.number(params, "top_p", (0, 1))),
    ):
        if value is not None:
            inference[key] = value
    stop = m.stop_sequences(params)
    if stop:
        inference["stopSequences"] = stop
    if inference:
        body["inferenceConfig"] = inference
    tool_config = _tool_config(params, body["messages"])
    if tool_config is not None:
        body["toolConfig"] = tool_config
    return body


@usage_reader
def usage_from(usage: Any) -> Usage:
    """Whether inputTokens includes the cache counts is not documented: `totalTokens` tells which."""
    if not isinstance(usage, dict):
        return Usage(reported=False)
    inp, out = count(usage.get("inputTokens")), count(usage.get("outputTokens"))
    read, write = count(usage.get("cacheReadInputTokens")), count(usage.get("cacheWriteInputTokens"))
    # inputTokens smaller than the cache counts can only mean they are not included in it.
    exclusive = bool(read or write) and (
        count(usage.get("totalTokens")) == inp + out + read + write or inp < read + write
    )
    return Usage(
        input_tokens=inp + read + write if exclusive else inp,
        cached_input_tokens=read,
        cache_write_tokens=write,
        output_tokens=out,
        raw=usage,
    )


def completion_from(request: ChatRequest, body: Any) -> ProviderResult:
    output = body.get("output") if isinstance(body, dict) else None
    message = output.get("message") if isinstance(output, dict) else None
    if not isinstance(message, dict) or not isinstance(message.get("content"), list):
        raise UpstreamError(f"{NAME} returned a response that is not a Converse answer.")
    blocks = [b for b in message["content"] if isinstance(b, dict)]
    texts = [str(b["text"]) for b in blocks if isinstance(b.get("text"), str)]
    calls = [
        tool_call(str(b["toolUse"].get("toolUseId")), str(b["toolUse"].get("name")), b["toolUse"].get("input"))
        for b in blocks
        if isinstance(b.get("toolUse"), dict)
    ]
    usage = usage_from(body.get("usage"))
    finish = STOP_REASONS.get(str(body.get("stopReason")), "tool_calls" if calls else "stop")
    result = chat_completion(
        response_id=None,
        model=request.model,
        choices=[choice(0, "".join(texts) if texts else None, calls, finish)],
        usage=usage,
    )
    return ProviderResult(body=result, usage=usage, model=request.model)


def _error_type(body: Any, headers: Mapping[str, str]) -> str | None:
    header = headers.get("x-amzn-errortype")
    if header:
        return header.split(":", 1)[0]
    kind = body.get("__type") if isinstance(body, dict) else None
    return str(kind).rsplit("#", 1)[-1] if kind else None


@dataclass(frozen=True)
class BedrockAdapter(SignedInRequest):
    name: str = NAME
    credential_shape: CredentialShape = field(
        default_factory=lambda: CredentialShape(
            secret_fields=("accessKeyId", "secretAccessKey"),
            optional_secret_fields=("sessionToken",),
            required_config=("region",),
        )
    )

    def to_request(self, request: ChatRequest, credential: Credential) -> UpstreamRequest:
        region = str(credential.config["region"])
        base = str(credential.config.get("baseUrl") or f"https://bedrock-runtime.{region}.amazonaws.com").rstrip("/")
        url = f"{base}/model/{quote(request.model, safe='-._~')}/converse"
        # Serialized once: the signature covers these exact bytes.
        body = json_codec.dumps(converse_body(request))
        headers = sigv4.sign(
            method="POST",
            url=url,
            headers={"Content-Type": "application/json"},
            body=body,
            access_key_id=credential.secrets["accessKeyId"],
            secret_access_key=credential.secrets["secretAccessKey"],
            session_token=credential.secrets.get("sessionToken"),
            region=region,
            service=SIGNING_NAME,
        )
        return UpstreamRequest(url=url, headers=headers, body=body)

    def from_response(self, request: ChatRequest, body: Any) -> ProviderResult:
        return completion_from(request, body)

    def map_error(self, status: int, body: Any, headers: Mapping[str, str]) -> KillTokenError:
        kind = _error_type(body, headers)
        message = first_message(body) or (
            str(body["Message"]) if isinstance(body, dict) and body.get("Message") else None
        )
        return error_from_status(
            self.name, status, f"{kind}: {message}" if kind and message else message or kind, headers
        )


def create() -> BedrockAdapter:
    return BedrockAdapter()
