"""The one reader of JSON request bodies: orjson, strict. Refused with 400 and a reason: text that is
not JSON, NaN/Infinity, nesting deeper than 1024 levels (orjson's fixed limit, so no RecursionError),
a lone UTF-16 surrogate escape (not a character; it could not be stored or sent on) and numbers beyond
a double (`1e999`), which are named by their path and the field's own error code where it has one.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from typing import Any

import orjson

from killtoken_proxy.errors import InvalidRequest


def parse(
    raw: bytes, *, field_codes: Mapping[str, str] | None = None, parse_float: Callable[[str], Any] | None = None
) -> Any:
    """The parsed body (None when empty). `field_codes` maps a top-level field to the error code of a
    bad value in it; `parse_float` (e.g. Decimal) re-reads an already validated body exactly."""
    if not raw.strip():
        return None
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise _refusal(raw, str(exc), field_codes or {}) from None
    return json.loads(raw, parse_float=parse_float) if parse_float is not None else value


def _refusal(raw: bytes, reason: str, field_codes: Mapping[str, str]) -> InvalidRequest:
    if "infinity" in reason and (path := _out_of_range(raw)) is not None:
        top = path.split(".", 1)[0].split("[", 1)[0]
        return InvalidRequest(
            f"`{path}` is a number out of range (beyond ±1.8e308).",
            code=field_codes.get(top, "invalid_request"),
            param=path,
        )
    if "depth" in reason:
        detail = "it is nested deeper than 1024 levels"
    elif "surrogate" in reason:
        detail = "it has a lone UTF-16 surrogate escape such as \\ud800, which is not a character"
    else:
        detail = reason
    return InvalidRequest(f"The request body is not valid JSON: {detail}.", code="invalid_json")


def _out_of_range(raw: bytes) -> str | None:
    """The path of the first number a double cannot hold (the standard library reads it as infinity)."""
    try:
        value = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    pending: list[tuple[str, Any]] = [("", value)]
    while pending:
        path, item = pending.pop()
        if (isinstance(item, float) and not math.isfinite(item)) or (
            isinstance(item, int) and item.bit_length() > 1024
        ):
            return path or "(body)"
        if isinstance(item, dict):
            pending.extend((f"{path}.{k}" if path else str(k), v) for k, v in reversed(list(item.items())))
        elif isinstance(item, list):
            pending.extend((f"{path}[{i}]", v) for i, v in reversed(list(enumerate(item))))
    return None
