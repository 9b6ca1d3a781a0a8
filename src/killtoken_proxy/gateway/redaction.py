"""Scrub secrets out of any text that leaves the gateway (upstream error messages echo keys)."""

from __future__ import annotations

import re
from collections.abc import Iterable

REDACTED = "[redacted]"
# Key-like tokens providers echo back partially masked, e.g. "Incorrect API key provided: sk-abc***xyz";
# `ya29.` is a Google OAuth access token (Vertex), derived from a secret and as good as one.
_KEY_LIKE = re.compile(r"\b(sk|kt|xai|gsk|pplx|AIza|AKIA|ASIA|ya29)[-_A-Za-z0-9*.]{6,}")


def redact(text: str, secrets: Iterable[str]) -> str:
    for secret in sorted({form for s in secrets if s for form in _forms(s)}, key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    return _KEY_LIKE.sub(REDACTED, text)


def _forms(secret: str) -> tuple[str, ...]:
    """The secret, and for a non-ASCII one (stored before such secrets were refused) its UTF-8 bytes read
    as Latin-1, which is how a provider echoes a header it got that way ("sk-cafÃ©")."""
    if secret.isascii():
        return (secret,)
    return (secret, secret.encode("utf-8").decode("latin-1"))
