"""Translation between the internal (OpenAI-style) request and Gemini's `generateContent`, both directions.

Shared by `gemini` and by Gemini models on `google_vertex`. Thinking models sign their function calls
(`thoughtSignature`) and reject a replayed call without it; OpenAI clients drop the field, so the
adapter remembers signatures by the tool-call id it issued (replay_memory) and puts them back.
"""

from __future__ import annotations

import json
from typing import Any

from killtoken_proxy.errors import UpstreamError
from killtoken_proxy.gateway.chat_request import ChatRequest
from killtoken_proxy.providers import messages as m
from killtoken_proxy.providers.base import ProviderResult, Usage
from killtoken_proxy.providers.completion import (
    chat_completion,
    choice,
    count,
    new_tool_call_id,
    tool_call,
    usage_reader,
)
from killtoken_proxy.providers.replay_memory import ReplayMemory

FILTERED = {
    "SAFETY",
    "RECITATION",
    "BLOCKLIST",
    "PROHIBITED_CONTENT",
    "SPII",
    "IMAGE_SAFETY",
    "IMAGE_PROHIBITED_CONTENT",
    "IMAGE_RECITATION",
}
TOOL_MODES = {"auto": "AUTO", "none": "NONE", "required": "ANY", "function": "ANY"}


def _text(text: str) -> dict[str, Any]:
    return {"text": text}


def _image(provider: str) -> Any:
    def build(url: str, where: str) -> dict[str, Any]:
        image = m.inline_image(url, where, provider)
        return {"inlineData": {"mimeType": image.media_type, "data": image.data}}

    return build


def _tool_response(text: str) -> dict[str, Any]:
    """Gemini wants an object; a JSON object result passes as is, anything else is wrapped as `result`."""
    try:
        parsed = json.loads(text)
    except ValueError:
        parsed = None
    return parsed if isinstance(parsed, dict) else {"result": text}


def _contents(
    messages: list[dict[str, Any]], provider: str, signatures: ReplayMemory, scope: str
) -> list[dict[str, Any]]:
    names = m.tool_names(messages)
    turns: list[dict[str, Any]] = []
    for index, message in m.conversation(messages):
        role, where = message["role"], f"messages[{index}].content"
        if role in ("user", "assistant"):
            parts = m.each_part(message.get("content"), where, _text, _image(provider), provider)
            for call_id, name, args in m.tool_calls_of(message, index) if role == "assistant" else []:
                part: dict[str, Any] = {"functionCall": {"name": name, "args": args, "id": call_id}}
                signature = signatures.recall(scope, call_id)
                if signature:
                    part["thoughtSignature"] = signature
                parts.append(part)
            turns.append({"role": "user" if role == "user" else "model", "parts": parts})
        elif role == "tool":
            call_id = m.tool_call_id_of(message, index)
            if call_id not in names:
                raise m.invalid_messages(
                    f"`messages[{index}].tool_call_id` {call_id!r} matches no earlier assistant tool call; "
                    f"{provider} needs the function's name for each tool result."
                )
            response = _tool_response(m.plain_text(message.get("content"), where))
            turns.append(
                {
                    "role": "user",
                    "parts": [{"functionResponse": {"name": names[call_id], "response": response, "id": call_id}}],
                }
            )
        else:
            raise m.invalid_messages(f"`messages[{index}].role` `{role}` is not supported for {provider}; use tools.")
    return m.merge_runs(turns, "role", "parts")


def _generation_config(params: dict[str, Any]) -> dict[str, Any]:
    config: dict[str, Any] = {}
    numbers = {
        "temperature": m.number(params, "temperature", (0, 2)),
        "topP": m.number(params, "top_p", (0, 1)),
        "presencePenalty": m.number(params, "presence_penalty"),
        "frequencyPenalty": m.number(params, "frequency_penalty"),
    }
    config.update((k, v) for k, v in numbers.items() if v is not None)
    integers = {
        "topK": m.integer(params, "top_k"),
        "candidateCount": m.integer(params, "n"),
        "maxOutputTokens": m.integer(params, "max_completion_tokens", "max_tokens"),
    }
    config.update((k, v) for k, v in integers.items() if v is not None)
    if isinstance(params.get("seed"), int) and not isinstance(params.get("seed"), bool):
        config["seed"] = params["seed"]
    stop = m.stop_sequences(params)
    if stop:
        config["stopSequences"] = stop
    response_format = m.json_schema_format(params)
    if response_format is not None:
        config["responseMimeType"] = "application/json"
        if response_format[1] is not None:
            config["responseJsonSchema"] = response_format[1]
    return config


def generate_content_body(request: ChatRequest, provider: str, signatures: ReplayMemory) -> dict[str, Any]:
    """The generateContent body (camelCase on the wire). Unknown params are dropped."""
    body: dict[str, Any] = {}
    system = m.system_prompt(request.messages)
    if system:
        body["systemInstruction"] = {"parts": [{"text": system}]}
    body["contents"] = _contents(request.messages, provider, signatures, request.tenant_id)
    config = _generation_config(request.params)
    if config:
        body["generationConfig"] = config
    tools = m.function_tools(request.params)
    if tools:
        body["tools"] = [
            {
                "functionDeclarations": [
                    {
                        "name": t.name,
                        **({"description": t.description} if t.description else {}),
                        "parametersJsonSchema": t.parameters,
                    }
                    for t in tools
                ]
            }
        ]
        picked = m.tool_choice(request.params)
        if picked is not None:
            calling: dict[str, Any] = {"mode": TOOL_MODES[picked[0]]}
            if picked[1] is not None:
                calling["allowedFunctionNames"] = [picked[1]]
            body["toolConfig"] = {"functionCallingConfig": calling}
    return body


@usage_reader
def usage_from(usage: Any) -> Usage:
    """candidatesTokenCount excludes thoughts; promptTokenCount includes cached content (reference §2.3)."""
    if not isinstance(usage, dict):
        return Usage(reported=False)
    thoughts = count(usage.get("thoughtsTokenCount"))
    return Usage(
        input_tokens=count(usage.get("promptTokenCount")) + count(usage.get("toolUsePromptTokenCount")),
        cached_input_tokens=count(usage.get("cachedContentTokenCount")),
        output_tokens=count(usage.get("candidatesTokenCount")) + thoughts,
        reasoning_tokens=thoughts,
        raw=usage,
    )


def _choice(index: int, candidate: dict[str, Any], signatures: ReplayMemory, scope: str) -> dict[str, Any]:
    content = candidate.get("content")
    parts = content.get("parts") if isinstance(content, dict) else None
    texts, calls = [], []
    for part in parts if isinstance(parts, list) else []:
        if not isinstance(part, dict):
            continue
        if isinstance(part.get("text"), str) and not part.get("thought"):
            texts.append(part["text"])
        call = part.get("functionCall")
        if isinstance(call, dict):
            call_id = str(call.get("id") or new_tool_call_id())
            if isinstance(part.get("thoughtSignature"), str):
                signatures.remember(scope, call_id, part["thoughtSignature"])
            calls.append(tool_call(call_id, str(call.get("name")), call.get("args")))
    reason = str(candidate.get("finishReason") or "STOP")
    if reason == "MAX_TOKENS":
        finish = "length"
    elif reason in FILTERED:
        finish = "content_filter"
    else:
        finish = "tool_calls" if calls else "stop"
    return choice(index, "".join(texts) if texts else None, calls, finish)


def completion_from(request: ChatRequest, body: Any, provider: str, signatures: ReplayMemory) -> ProviderResult:
    if not isinstance(body, dict) or not isinstance(body.get("candidates", []), list):
        raise UpstreamError(f"{provider} returned a response that is not a generateContent answer.")
    candidates = [c for c in body.get("candidates") or [] if isinstance(c, dict)]
    feedback = body.get("promptFeedback")
    if not candidates and not (isinstance(feedback, dict) and feedback.get("blockReason")):
        raise UpstreamError(f"{provider} returned no candidates.")
    choices = [_choice(i, c, signatures, request.tenant_id) for i, c in enumerate(candidates)] or [
        choice(0, None, [], "content_filter")
    ]
    usage = usage_from(body.get("usageMetadata"))
    model = str(body.get("modelVersion") or request.model)
    response_id = body.get("responseId")
    result = chat_completion(
        response_id=f"chatcmpl-{response_id}" if isinstance(response_id, str) else None,
        model=model,
        choices=choices,
        usage=usage,
    )
    return ProviderResult(body=result, usage=usage, model=model)
