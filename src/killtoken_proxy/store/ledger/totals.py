"""`Totals`: the sums one rollup row keeps (requests, tokens, spend, savings, errors, cache opportunity).

One `add(record)` defines what every report counts; rows merge by plain addition, so a summary over
rollups equals the same fold over the records themselves, to the cent.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from killtoken_proxy.money import money_text, to_decimal
from killtoken_proxy.store.ledger.records import ZERO, Record, int_field, is_billed, spend_of, succeeded

_TOKEN_FIELDS = (
    "prompt_tokens",
    "completion_tokens",
    "cached_prompt_tokens",
    "cache_write_tokens",
    "reasoning_tokens",
    "total_tokens",
)
_COUNTS = (
    *("requests", "succeeded", "failed", "billed", "replays", "cache_hits", "priced", "unpriced"),
    *_TOKEN_FIELDS,
    *("repeats", "repeat_unpriced", "latency_count"),
)
_MONEY = ("spend", "verified_cache", "verified_replay", "estimated", "repeat_spend")
_TALLIES = ("statuses", "errors", "cache")


class Totals:
    __slots__ = (*_COUNTS, *_MONEY, *_TALLIES, "latency_ms", "potential")

    def __init__(self) -> None:
        self.requests = self.succeeded = self.failed = self.billed = 0
        self.replays = self.cache_hits = self.priced = self.unpriced = 0
        self.prompt_tokens = self.completion_tokens = self.cached_prompt_tokens = 0
        self.cache_write_tokens = self.reasoning_tokens = self.total_tokens = 0
        self.repeats = self.repeat_unpriced = self.latency_count = 0
        self.spend = self.verified_cache = self.verified_replay = self.estimated = self.repeat_spend = ZERO
        self.statuses: dict[str, int] = {}
        self.errors: dict[str, int] = {}  # by error code
        self.cache: dict[str, int] = {}  # by cache status
        self.latency_ms = 0.0
        self.potential: dict[str, Decimal] = {}  # optimizer's shadow estimates per mode (measure_only)

    # -- folding ---------------------------------------------------------------------------------
    def add(self, record: Record) -> None:
        self.requests += 1
        status = record.get("status")
        _tally(self.statuses, str(status))
        _tally(self.cache, record.get("cache_status"))
        latency = record.get("latency_ms")
        if isinstance(latency, int | float) and not isinstance(latency, bool):
            self.latency_ms += float(latency)
            self.latency_count += 1
        if not succeeded(record):
            self.failed += 1
            _tally(self.errors, record.get("error") or f"http_{status}")
            return
        self.succeeded += 1
        self._add_savings(record)
        if record.get("replay"):
            self.replays += 1
        elif record.get("cache_status") == "hit":
            self.cache_hits += 1
        if is_billed(record):
            self._add_billed(record)

    def _add_savings(self, record: Record) -> None:
        verified = to_decimal(record.get("verified_savings_usd")) or ZERO
        if record.get("replay"):
            self.verified_replay += verified
        else:
            self.verified_cache += verified
        self.estimated += to_decimal(record.get("estimated_savings_usd")) or ZERO
        potential = record.get("potential_savings_usd")
        if isinstance(potential, dict):
            for mode, amount in potential.items():
                value = to_decimal(amount)
                if value is not None:
                    self.potential[str(mode)] = self.potential.get(str(mode), ZERO) + value

    def _add_billed(self, record: Record) -> None:
        self.billed += 1
        for name in _TOKEN_FIELDS:
            setattr(self, name, getattr(self, name) + int_field(record, name))
        spend = spend_of(record)
        if spend is None:
            self.unpriced += 1
        else:
            self.priced += 1
            self.spend += spend
        if record.get("repeat_of"):
            self.repeats += 1
            if spend is None:
                self.repeat_unpriced += 1
            else:
                self.repeat_spend += spend

    def merge(self, other: Totals) -> None:
        for name in _COUNTS:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for name in _MONEY:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for name in _TALLIES:
            mine = getattr(self, name)
            for key, count in getattr(other, name).items():
                mine[key] = mine.get(key, 0) + count
        for mode, amount in other.potential.items():
            self.potential[mode] = self.potential.get(mode, ZERO) + amount
        self.latency_ms += other.latency_ms

    # -- persistence (rollup files) -----------------------------------------------------------------
    def to_doc(self) -> dict[str, Any]:
        doc: dict[str, Any] = {name: getattr(self, name) for name in _COUNTS if getattr(self, name)}
        doc.update((name, money_text(getattr(self, name))) for name in _MONEY if getattr(self, name))
        doc.update((name, dict(getattr(self, name))) for name in _TALLIES if getattr(self, name))
        if self.latency_ms:
            doc["latency_ms"] = self.latency_ms
        if self.potential:
            doc["potential"] = {mode: money_text(v) for mode, v in self.potential.items()}
        return doc

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Totals:
        totals = cls()
        for name in _COUNTS:
            setattr(totals, name, int(doc.get(name, 0)))
        for name in _MONEY:
            setattr(totals, name, Decimal(doc.get(name, "0")))
        for name in _TALLIES:
            setattr(totals, name, {str(k): int(v) for k, v in (doc.get(name) or {}).items()})
        totals.latency_ms = float(doc.get("latency_ms", 0.0))
        totals.potential = {str(k): Decimal(v) for k, v in (doc.get("potential") or {}).items()}
        return totals

    # -- the API's view --------------------------------------------------------------------------
    @property
    def verified(self) -> Decimal:
        return self.verified_cache + self.verified_replay

    def public(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "requests": self.requests,
            "succeeded": self.succeeded,
            "failed": self.failed,
            "billedRequests": self.billed,
            "pricedRequests": self.priced,
            "unpricedRequests": self.unpriced,
            "cacheHits": self.cache_hits,
            "replays": self.replays,
            "tokens": {
                "prompt": self.prompt_tokens,
                "cachedPrompt": self.cached_prompt_tokens,
                "cacheWrite": self.cache_write_tokens,
                "completion": self.completion_tokens,
                "reasoning": self.reasoning_tokens,
                "total": self.total_tokens,
            },
            "spendUsd": money_text(self.spend),
            "savings": {
                "verifiedUsd": money_text(self.verified),
                "cacheHitsUsd": money_text(self.verified_cache),
                "replaysUsd": money_text(self.verified_replay),
                "estimatedUsd": money_text(self.estimated),
                "totalUsd": money_text(self.verified + self.estimated),
            },
            "errors": {"total": self.failed, "byCode": dict(sorted(self.errors.items()))},
            "statuses": dict(sorted(self.statuses.items())),
            "cacheStatus": dict(sorted(self.cache.items())),
            "cacheOpportunity": self.opportunity(),
            "avgLatencyMs": round(self.latency_ms / self.latency_count, 2) if self.latency_count else None,
        }
        if self.potential:
            doc["potentialSavingsUsd"] = {mode: money_text(v) for mode, v in sorted(self.potential.items())}
        return doc

    def opportunity(self) -> dict[str, Any]:
        return {
            "repeatRequests": self.repeats,
            "repeatSpendUsd": money_text(self.repeat_spend),
            "unpricedRepeats": self.repeat_unpriced,
        }


def _tally(counts: dict[str, int], key: Any) -> None:
    if key is None:
        return
    name = str(key)
    counts[name] = counts.get(name, 0) + 1
