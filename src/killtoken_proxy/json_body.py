"""The one reader of JSON request bodies: orjson, strict. Refused with 400: text that is not JSON,
NaN/Infinity and nesting deeper than 1024 levels (orjson's fixed limit, so no RecursionError) are
`invalid_json`; a lone UTF-16 surrogate escape (not a character; it could not be stored or sent on) and
a number beyond a double (`1e999`) are named by their path, with the field's own code where it has one
(else `invalid_request`).
"""

from __future__ import annotations

import json
import math
import re
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
    if "infinity" in reason or "surrogate" in reason:
        what, bad = (
            ("is a number out of range (beyond ±1.8e308)", _out_of_range)
            if "infinity" in reason
            else ("has a lone UTF-16 surrogate escape such as \\ud800, which is not a character", _lone_surrogate)
        )
        path = _first_path(raw, bad)
        if path is not None:
            top = path.split(".", 1)[0].split("[", 1)[0]
            return InvalidRequest(f"`{path}` {what}.", code=field_codes.get(top, "invalid_request"), param=path)
    detail = "it is nested deeper than 1024 levels" if "depth" in reason else reason
    return InvalidRequest(f"The request body is not valid JSON: {detail}.", code="invalid_json")


def _out_of_range(item: Any) -> bool:
    return (isinstance(item, float) and not math.isfinite(item)) or (isinstance(item, int) and item.bit_length() > 1024)


def _lone_surrogate(item: Any) -> bool:
    return isinstance(item, str) and _SURROGATE.search(item) is not None


_SURROGATE = re.compile("[\ud800-\udfff]")


def _first_path(raw: bytes, bad: Callable[[Any], bool]) -> str | None:
    """Where the first value orjson refused sits (the standard library reads it: infinity, a surrogate)."""
    try:
        value = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    pending: list[tuple[str, Any]] = [("", value)]
    while pending:
        path, item = pending.pop()
        if bad(item):
            return path or "(body)"
        if isinstance(item, dict):
            if any(bad(key) for key in item):
                return path or "(body)"
            pending.extend((f"{path}.{k}" if path else str(k), v) for k, v in reversed(list(item.items())))
        elif isinstance(item, list):
            pending.extend((f"{path}[{i}]", v) for i, v in reversed(list(enumerate(item))))
    return None
