"""An answer served without calling the provider (a cache hit or an idempotent replay), and the
would-have-been cost it saves."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any


@dataclass(frozen=True)
class StoredAnswer:
    body: dict[str, Any]  # the provider's original answer (an OpenAI chat.completion)
    model: str
    value_usd: Decimal | None  # what that answer cost at the provider; None: unpriced, savings unknown
    source_request_id: str  # the request whose provider call produced it
    cache_status: str  # "hit" for the cache; "bypass" for a replay (it never reaches the cache)
    replay: bool = False


def decimal_or_none(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def answer_value(metrics: dict[str, Any]) -> str | None:
    """The provider cost behind an answer: what was paid for it, or for a hit what the hit saved."""
    cost, saved = metrics["costUsd"], metrics["verifiedSavingsUsd"]
    if cost is None or saved is None:
        return None
    return format(Decimal(cost) + Decimal(saved), "f")
