"""Prefixed, time-sortable identifiers (`req_`, `cred_`, `tn_`): 48-bit milliseconds + 80 random bits."""

from __future__ import annotations

import os
import time

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford base32, lower case
_PAIRS = tuple(a + b for a in _ALPHABET for b in _ALPHABET)  # two digits per lookup: 10 bits at a time


def _encode(value: int, length: int) -> str:
    """`value` as `length` (even) base32 digits, most significant first."""
    return "".join([_PAIRS[(value >> shift) & 1023] for shift in range(5 * length - 10, -1, -10)])


def new_id(prefix: str, *, now_ms: int | None = None) -> str:
    millis = int(time.time() * 1000) if now_ms is None else now_ms
    # 26 digits: the top 10 are the milliseconds (48 bits), the other 16 the 80 random bits.
    return f"{prefix}_{_encode((millis << 80) | int.from_bytes(os.urandom(10)), 26)}"
