"""Free-text labels (credentials, tenant keys): one rule everywhere, a string of at most 80 characters, trimmed."""

from __future__ import annotations

from typing import Any

from killtoken_proxy.errors import InvalidRequest

LABEL_MAX_CHARS = 80


def parse_label(value: Any, field: str, *, code: str = InvalidRequest.code) -> str:
    """`value` from a request body (None means empty), or 400 naming `field`."""
    text = "" if value is None else value
    if not isinstance(text, str) or len(text) > LABEL_MAX_CHARS:
        raise InvalidRequest(
            f"`{field}` must be a string of at most {LABEL_MAX_CHARS} characters.", code=code, param=field
        )
    return text.strip()
