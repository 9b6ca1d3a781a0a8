"""Scrub secrets out of any text that leaves the gateway (upstream error messages echo keys)."""

from __future__ import annotations

import re
from collections.abc import Iterable

REDACTED = "[redacted]"
# Key-like tokens providers echo back partially masked, e.g. "Incorrect API key provided: sk-abc***xyz";
# `ya29.` is a Google OAuth access token (Vertex), derived from a secret and as good as one.
_KEY_LIKE = re.compile(r"\b(sk|kt|xai|gsk|pplx|AIza|AKIA|ASIA|ya29)[-_A-Za-z0-9*.]{6,}")


def redact(text: str, secrets: Iterable[str]) -> str:
    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    return _KEY_LIKE.sub(REDACTED, text)
