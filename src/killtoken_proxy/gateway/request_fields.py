"""Validation of the request fields every door shares; each failure names the field and the spec's code."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from typing import Any, cast

from killtoken_proxy.errors import InvalidRequest
from killtoken_proxy.gateway.chat_request import CacheMode, CachePolicy, OptimizationMode

FEATURE_MAX_CHARS = 80
IDEMPOTENCY_KEY_MAX_CHARS = 255
MESSAGE_ROLES = ("system", "developer", "user", "assistant", "tool", "function")
CACHE_MODES: tuple[CacheMode, ...] = ("bypass", "read_only", "write_only", "read_write")
OPTIMIZATION_MODES: tuple[OptimizationMode, ...] = ("measure_only", "safe", "balanced", "aggressive")

FEATURE_HEADER = "x-killtoken-feature"
MODE_HEADER = "x-killtoken-optimization-mode"
IDEMPOTENCY_HEADER = "x-killtoken-idempotency-key"
# The error code of a bad value in a top-level field (the spec's codes; anything else is invalid_request).
FIELD_CODES = {
    "model": "invalid_model",
    "messages": "invalid_messages",
    "cachePolicy": "invalid_cache_policy",
    "optimizationMode": "invalid_optimization_mode",
    "idempotencyKey": "invalid_idempotency_key",
}


def require_object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise InvalidRequest("The request body must be a JSON object.")
    return body


def parse_model(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidRequest("`model` is required and must be a non-empty string.", code="invalid_model", param="model")
    return value.strip()


def _check_content(index: int, role: str, message: dict[str, Any]) -> None:
    content = message.get("content")
    where = f"messages[{index}].content"
    if content is None:
        if role == "assistant" and any(message.get(k) for k in ("tool_calls", "function_call", "audio", "refusal")):
            return
        raise InvalidRequest(f"`{where}` is required for role `{role}`.", code="invalid_messages", param=where)
    if isinstance(content, str):
        return
    if not isinstance(content, list):
        raise InvalidRequest(
            f"`{where}` must be a string or an array of content parts.", code="invalid_messages", param=where
        )
    for part_index, part in enumerate(content):
        if not isinstance(part, dict) or not isinstance(part.get("type"), str):
            raise InvalidRequest(
                f"`{where}[{part_index}]` must be an object with a string `type`.",
                code="invalid_messages",
                param=where,
            )
        if part["type"] == "text" and not isinstance(part.get("text"), str):
            raise InvalidRequest(
                f"`{where}[{part_index}].text` must be a string.", code="invalid_messages", param=where
            )


def parse_messages(value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not value:
        raise InvalidRequest(
            "`messages` is required and must be a non-empty array of {role, content} objects.",
            code="invalid_messages",
            param="messages",
        )
    for index, message in enumerate(value):
        if not isinstance(message, dict):
            raise InvalidRequest(
                f"`messages[{index}]` must be an object with `role` and `content`.",
                code="invalid_messages",
                param="messages",
            )
        role = message.get("role")
        if role not in MESSAGE_ROLES:
            raise InvalidRequest(
                f"`messages[{index}].role` must be one of {', '.join(MESSAGE_ROLES)}; got {role!r}.",
                code="invalid_messages",
                param="messages",
            )
        _check_content(index, role, message)
    return value


def parse_cache_policy(value: Any) -> CachePolicy:
    if value is None:
        return CachePolicy()
    if not isinstance(value, dict):
        raise InvalidRequest(
            '`cachePolicy` must be an object such as {"exactCache": "read_write", "ttlSeconds": 3600}.',
            code="invalid_cache_policy",
            param="cachePolicy",
        )
    mode = value.get("exactCache", "bypass")
    if mode not in CACHE_MODES:
        raise InvalidRequest(
            f"`cachePolicy.exactCache` must be one of {', '.join(CACHE_MODES)}; got {mode!r}.",
            code="invalid_cache_policy",
            param="cachePolicy.exactCache",
        )
    ttl = value.get("ttlSeconds")
    if ttl is not None and (isinstance(ttl, bool) or not isinstance(ttl, int | float) or not ttl > 0):
        raise InvalidRequest(
            f"`cachePolicy.ttlSeconds` must be a positive number; got {ttl!r}.",
            code="invalid_cache_policy",
            param="cachePolicy.ttlSeconds",
        )
    unknown = sorted(set(value) - {"exactCache", "ttlSeconds"})
    if unknown:
        raise InvalidRequest(
            f"`cachePolicy` has unknown field(s): {', '.join(unknown)}.",
            code="invalid_cache_policy",
            param="cachePolicy",
        )
    return CachePolicy(exact_cache=mode, ttl_seconds=float(ttl) if ttl is not None else None)


def header_text(headers: Mapping[str, str], name: str) -> str | None:
    """A header as the client meant it: HTTP servers decode header bytes as Latin-1, clients send UTF-8."""
    value = headers.get(name)
    if value is None:
        return None
    try:
        return value.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return value


def _from_body_or_header(body_value: Any, headers: Mapping[str, str], header: str, field: str) -> tuple[Any, str]:
    """The body value wins; also returns how to name the value's source in an error message."""
    if body_value is not None:
        return body_value, f"`{field}`"
    return header_text(headers, header), f"The `{header}` header"


def parse_optimization_mode(body_value: Any, headers: Mapping[str, str]) -> OptimizationMode:
    value, source = _from_body_or_header(body_value, headers, MODE_HEADER, "optimizationMode")
    if value is None:
        return "measure_only"
    if isinstance(value, str) and value.strip() in OPTIMIZATION_MODES:
        return cast(OptimizationMode, value.strip())
    raise InvalidRequest(
        f"{source} must be one of {', '.join(OPTIMIZATION_MODES)}; got {value!r}.",
        code="invalid_optimization_mode",
        param="optimizationMode",
    )


def parse_idempotency_key(body_value: Any, headers: Mapping[str, str]) -> str | None:
    value, source = _from_body_or_header(body_value, headers, IDEMPOTENCY_HEADER, "idempotencyKey")
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > IDEMPOTENCY_KEY_MAX_CHARS:
        raise InvalidRequest(
            f"{source} must be a non-empty string of at most {IDEMPOTENCY_KEY_MAX_CHARS} characters.",
            code="invalid_idempotency_key",
            param="idempotencyKey",
        )
    return value.strip()


def _clean_feature(value: Any) -> str | None:
    """Trimmed and capped at 80 characters (code points, never bytes, so no character is cut in half)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise InvalidRequest("`metadata.feature` must be a string.", param="metadata.feature")
    # NFC: "é" typed or composed is one tag. A lone surrogate (legal as a JSON escape) cannot be
    # stored or sent back as UTF-8, so it becomes U+FFFD instead of failing the request.
    text = unicodedata.normalize("NFC", str(value))
    text = text.strip()[:FEATURE_MAX_CHARS].strip()
    return text or None


def parse_feature(metadata: Any, headers: Mapping[str, str]) -> str | None:
    """Body `metadata.feature` wins over the header; values are trimmed and capped at 80 characters."""
    if metadata is not None and not isinstance(metadata, dict):
        raise InvalidRequest("`metadata` must be an object.", param="metadata")
    from_body = _clean_feature((metadata or {}).get("feature"))
    return from_body if from_body is not None else _clean_feature(header_text(headers, FEATURE_HEADER))


def reject_streaming(body: dict[str, Any]) -> None:
    from killtoken_proxy.errors import StreamingNotSupported

    if body.get("stream") not in (None, False):
        raise StreamingNotSupported(
            "Streaming is not supported: remove `stream: true` (KillToken proxies non-streaming chat completions)."
        )
