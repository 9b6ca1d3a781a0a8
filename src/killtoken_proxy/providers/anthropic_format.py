"""Translation between the internal (OpenAI-style) request and Anthropic's Messages API, both directions.

Shared by `anthropic` and by Claude on `google_vertex` (rawPredict takes the same body). When the client
sets no output cap, `max_tokens` defaults to DEFAULT_MAX_TOKENS (the API requires one). A request already in
Anthropic's format (wire "anthropic", from the Anthropic door) goes out as written, and its answer keeps
Anthropic's own Message next to the OpenAI one, so that door can answer exactly what Anthropic answered.
"""

from __future__ import annotations

from typing import Any

from killtoken_proxy.errors import UpstreamError
from killtoken_proxy.gateway.chat_request import ChatRequest
from killtoken_proxy.providers import messages as m
from killtoken_proxy.providers.base import ProviderResult, Usage
from killtoken_proxy.providers.completion import chat_completion, choice, count, tool_call, usage_reader

DEFAULT_MAX_TOKENS = 4096  # every current Claude model can emit at least this many tokens
# Where an answer to a wire-"anthropic" request keeps Anthropic's Message inside the OpenAI-shaped body
# (so cache entries and idempotency records hold it too).
NATIVE_MESSAGE = "_anthropic_message"
IMAGE_TYPES = ("image/jpeg", "image/png", "image/gif", "image/webp")
_TOOL_CHOICE = {"auto": "auto", "none": "none", "required": "any", "function": "tool"}
STOP_REASONS = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "pause_turn": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
}


def _image(provider: str) -> Any:
    def build(url: str, where: str) -> dict[str, Any]:
        if url.startswith(("http://", "https://")):
            return {"type": "image", "source": {"type": "url", "url": url}}
        image = m.inline_image(url, where, provider, IMAGE_TYPES)
        return {"type": "image", "source": {"type": "base64", "media_type": image.media_type, "data": image.data}}

    return build


def _text(text: str) -> dict[str, Any]:
    return {"type": "text", "text": text}


def _turns(messages: list[dict[str, Any]], provider: str) -> list[dict[str, Any]]:
    turns: list[dict[str, Any]] = []
    for index, message in m.conversation(messages):
        role, where = message["role"], f"messages[{index}].content"
        if role == "user":
            blocks = m.each_part(message.get("content"), where, _text, _image(provider), provider)
            turns.append({"role": "user", "content": blocks})
        elif role == "assistant":
            blocks = m.each_part(message.get("content"), where, _text, _image(provider), provider)
            blocks += [
                {"type": "tool_use", "id": call_id, "name": name, "input": args}
                for call_id, name, args in m.tool_calls_of(message, index)
            ]
            turns.append({"role": "assistant", "content": blocks})
        elif role == "tool":
            result = {
                "type": "tool_result",
                "tool_use_id": m.tool_call_id_of(message, index),
                "content": m.plain_text(message.get("content"), where),
            }
            turns.append({"role": "user", "content": [result]})
        else:
            raise m.invalid_messages(f"`messages[{index}].role` `{role}` is not supported for {provider}; use tools.")
    return m.merge_runs(turns, "role", "content")


def _tools(params: dict[str, Any], body: dict[str, Any]) -> None:
    tools = m.function_tools(params)
    if not tools:
        return
    body["tools"] = [
        {"name": t.name, **({"description": t.description} if t.description else {}), "input_schema": t.parameters}
        for t in tools
    ]
    choice_ = m.tool_choice(params)
    kind, name = choice_ if choice_ is not None else ("auto", None)
    tool_choice: dict[str, Any] = {"type": _TOOL_CHOICE[kind]}
    if name is not None:
        tool_choice["name"] = name
    if params.get("parallel_tool_calls") is False and kind != "none":
        tool_choice["disable_parallel_tool_use"] = True
    if choice_ is not None or "disable_parallel_tool_use" in tool_choice:
        body["tool_choice"] = tool_choice


def messages_body(request: ChatRequest, provider: str) -> dict[str, Any]:
    """The Messages API body without `model` (Vertex puts the model in the URL). Unknown params are dropped."""
    params = request.params
    m.single_choice(params, provider)
    body: dict[str, Any] = {
        "max_tokens": m.integer(params, "max_completion_tokens", "max_tokens") or DEFAULT_MAX_TOKENS,
    }
    system = m.system_prompt(request.messages)
    if system:
        body["system"] = system
    body["messages"] = _turns(request.messages, provider)
    # Anthropic's temperature range is 0..1 (OpenAI's is 0..2): clamp rather than reject.
    for name, value in (
        ("temperature", m.number(params, "temperature", (0, 1))),
        ("top_p", m.number(params, "top_p", (0, 1))),
    ):
        if value is not None:
            body[name] = value
    top_k = m.integer(params, "top_k")
    if top_k is not None:
        body["top_k"] = top_k
    stop = m.stop_sequences(params)
    if stop:
        body["stop_sequences"] = stop
    _tools(params, body)
    # `safety_identifier` is OpenAI's newer name for the end-user id that `metadata.user_id` carries.
    user = next((params[k] for k in ("user", "safety_identifier") if isinstance(params.get(k), str)), None)
    if user is not None:
        body["metadata"] = {"user_id": user}
    response_format = m.json_schema_format(params)
    if response_format is not None and response_format[0] == "json_schema":
        body["output_config"] = {"format": {"type": "json_schema", "schema": response_format[1]}}
    return body


def native_body(request: ChatRequest) -> dict[str, Any]:
    """A wire-"anthropic" request as the client wrote it: the leading system message back as top-level `system`."""
    body: dict[str, Any] = {"model": request.model, **request.params}
    body.setdefault("max_tokens", DEFAULT_MAX_TOKENS)
    messages = request.messages
    if messages and messages[0].get("role") == "system":
        body["system"] = messages[0].get("content")
        messages = messages[1:]
    body["messages"] = messages
    return body


@usage_reader
def usage_from(usage: Any) -> Usage:
    """Anthropic's input_tokens exclude cache reads and writes; the normalized input includes both."""
    if not isinstance(usage, dict):
        return Usage(reported=False)
    read, write = count(usage.get("cache_read_input_tokens")), count(usage.get("cache_creation_input_tokens"))
    details = usage.get("output_tokens_details")
    return Usage(
        input_tokens=count(usage.get("input_tokens")) + read + write,
        cached_input_tokens=read,
        cache_write_tokens=write,
        output_tokens=count(usage.get("output_tokens")),
        reasoning_tokens=count(details.get("thinking_tokens")) if isinstance(details, dict) else 0,
        raw=usage,
    )


def completion_from(request: ChatRequest, body: Any, provider: str) -> ProviderResult:
    if not isinstance(body, dict) or not isinstance(body.get("content"), list):
        raise UpstreamError(f"{provider} returned a response that is not an Anthropic message.")
    blocks = [b for b in body["content"] if isinstance(b, dict)]
    texts = [str(b.get("text", "")) for b in blocks if b.get("type") == "text"]
    calls = [
        tool_call(str(b.get("id")), str(b.get("name")), b.get("input")) for b in blocks if b.get("type") == "tool_use"
    ]
    usage = usage_from(body.get("usage"))
    model = str(body.get("model") or request.model)
    finish = STOP_REASONS.get(str(body.get("stop_reason")), "tool_calls" if calls else "stop")
    result = chat_completion(
        response_id=body.get("id") if isinstance(body.get("id"), str) else None,
        model=model,
        choices=[choice(0, "".join(texts) if texts else None, calls, finish)],
        usage=usage,
    )
    if request.wire == "anthropic":
        result[NATIVE_MESSAGE] = body
    return ProviderResult(body=result, usage=usage, model=model)
