"""Scrub secrets out of any text that leaves the gateway (upstream error messages echo keys)."""

from __future__ import annotations

import re
from collections.abc import Iterable

REDACTED = "[redacted]"
# Key-like tokens providers echo back, whole or partly masked ("Incorrect API key provided: sk-abc***xyz").
# Each needs a real key prefix *with its separator* and a key-like length, so ordinary words that merely
# start the same ("skip_special_tokens", "sketching", "task_id") are left alone. `ya29.` is a Google OAuth
# access token (Vertex): derived from a secret and as good as one. A sentence's closing dot stays.
_KEY_LIKE = re.compile(
    r"(?<![A-Za-z0-9_.-])(?:"
    r"(?:sk-|sk_|kt_|xai-|gsk_|pplx-)[A-Za-z0-9_*.-]{7,}[A-Za-z0-9_*]"
    r"|AIza[A-Za-z0-9_-]{30,}"
    r"|(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Za-z0-9])"
    r"|ya29\.[A-Za-z0-9_.-]*[A-Za-z0-9_]"  # no English word starts `ya29.`: any length is a token
    r")"
)


def redact(text: str, secrets: Iterable[str]) -> str:
    """Exact secrets first (longest first, so a secret containing another goes whole), then key-like tokens."""
    for secret in sorted({form for s in secrets if s for form in _forms(s)}, key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    return _KEY_LIKE.sub(REDACTED, text)


def _forms(secret: str) -> tuple[str, ...]:
    """The secret, and for a non-ASCII one (stored before such secrets were refused) its UTF-8 bytes read
    as Latin-1, which is how a provider echoes a header it got that way ("sk-cafÃ©")."""
    if secret.isascii():
        return (secret,)
    return (secret, secret.encode("utf-8").decode("latin-1"))
