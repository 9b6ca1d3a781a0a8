"""Cost of one call in USD (Decimal): per-tenant overrides first, then genai-prices' bundled list prices.

genai-prices is exact but spends ~70 µs per calculation; the request path instead uses `Rates` (USD per
token by token kind) derived once per model price by probing genai-prices itself, so the two agree.
"""

from __future__ import annotations

import logging
import threading
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from killtoken_proxy.money import money_text
from killtoken_proxy.providers.base import Usage

log = logging.getLogger("killtoken.pricing")

ZERO = Decimal(0)
MILLION = Decimal(1_000_000)
OVERRIDE_SOURCE = "override"

# Our provider names -> genai-prices provider ids. Providers missing here (openai_compatible) are
# priced only by a tenant override: guessing would report wrong money.
PRICE_PROVIDER = {
    "openai": "openai",
    "azure_openai": "azure",
    "anthropic": "anthropic",
    "gemini": "google",
    "google_vertex": "google",
    "mistral": "mistral",
    "deepseek": "deepseek",
    "openrouter": "openrouter",
    "together": "together",
    "perplexity": "perplexity",
    "xai": "x-ai",
    "aws_bedrock": "aws",
}
KNOWN_PROVIDERS = frozenset({*PRICE_PROVIDER, "openai_compatible"})
_LOOKUP_CACHE_MAX = 10_000  # model names come from clients; bound what we remember about them


@dataclass(frozen=True)
class Rates:
    """USD per token for each kind of token, and a flat fee per request (Perplexity's request fee)."""

    input: Decimal
    cached_input: Decimal
    cache_write: Decimal
    output: Decimal
    reasoning: Decimal
    per_request: Decimal = ZERO

    def cost(self, usage: Usage) -> Decimal:
        """Cached reads and cache writes are parts of the input and billed only at their own rates;
        reasoning is part of the output and billed at the reasoning rate (the output rate unless the
        price table says otherwise)."""
        cached, written = usage.cached_input_tokens, usage.cache_write_tokens
        uncached = max(usage.input_tokens - cached - written, 0)
        reasoning = min(usage.reasoning_tokens, usage.output_tokens)
        return (
            uncached * self.input
            + cached * self.cached_input
            + written * self.cache_write
            + (usage.output_tokens - reasoning) * self.output
            + reasoning * self.reasoning
            + self.per_request
        )

    def per_million(self) -> dict[str, str]:
        return {
            "input": _plain(self.input * MILLION),
            "cachedInput": _plain(self.cached_input * MILLION),
            "cacheWrite": _plain(self.cache_write * MILLION),
            "output": _plain(self.output * MILLION),
            "reasoning": _plain(self.reasoning * MILLION),
            "perRequest": _plain(self.per_request),
        }


@dataclass(frozen=True)
class PriceTable:
    """Rates by prompt size: `tiers[i] = (threshold, rates)` applies when input tokens exceed threshold."""

    tiers: tuple[tuple[int, Rates], ...]
    source: str

    def rates_for(self, input_tokens: int) -> Rates:
        chosen = self.tiers[0][1]
        for threshold, rates in self.tiers[1:]:
            if input_tokens > threshold:
                chosen = rates
        return chosen

    def cost(self, usage: Usage) -> Decimal:
        return self.rates_for(usage.input_tokens).cost(usage)

    def public(self) -> dict[str, Any]:
        base = self.tiers[0][1].per_million()
        return {
            "source": self.source,
            "unit": "USD per 1M tokens",
            **base,
            "tiers": [{"aboveInputTokens": t, **r.per_million()} for t, r in self.tiers[1:]],
        }


@dataclass(frozen=True)
class Quote:
    cost: Decimal | None  # None: no known price ("unpriced"), never $0
    source: str | None


def override_table(
    input_per_m: Decimal,
    output_per_m: Decimal,
    cached_input_per_m: Decimal | None = None,
    cache_write_per_m: Decimal | None = None,
) -> PriceTable:
    """A tenant's negotiated rates; cached input and cache writes default to the input rate."""
    rate_in = input_per_m / MILLION
    rate_out = output_per_m / MILLION
    rates = Rates(
        input=rate_in,
        cached_input=rate_in if cached_input_per_m is None else cached_input_per_m / MILLION,
        cache_write=rate_in if cache_write_per_m is None else cache_write_per_m / MILLION,
        output=rate_out,
        reasoning=rate_out,
    )
    return PriceTable(((-1, rates),), OVERRIDE_SOURCE)


class PriceBook:
    """Answers "what did this call cost" from memory; built once per daemon, overrides kept current."""

    def __init__(self, overrides: dict[tuple[str, str, str], PriceTable] | None = None) -> None:
        self._overrides: dict[tuple[str, str, str], PriceTable] = dict(overrides or {})
        self._models: dict[tuple[str, str], Any] = {}  # (genai provider id, model) -> genai ModelInfo | None
        self._tables: dict[int, tuple[Any, PriceTable | None]] = {}  # id(genai ModelPrice) -> its table
        self._snapshot: Any = None
        self._source = "genai-prices"
        self._lock = threading.Lock()

    # -- loading (off the request path) ------------------------------------------------------------
    def warm(self) -> None:
        """Load the bundled price data (~0.2 s); the daemon calls it at start-up in the background."""
        with self._lock:
            if self._snapshot is None:
                import genai_prices
                from genai_prices import data_snapshot

                self._snapshot = data_snapshot.get_snapshot()
                self._source = f"genai-prices {genai_prices.__version__}"

    # -- overrides ---------------------------------------------------------------------------------
    def set_override(self, tenant_id: str, provider: str, model: str, table: PriceTable) -> None:
        self._overrides[(tenant_id, provider, model)] = table

    def remove_override(self, tenant_id: str, provider: str, model: str) -> None:
        self._overrides.pop((tenant_id, provider, model), None)

    # -- lookups -----------------------------------------------------------------------------------
    def table(
        self, tenant_id: str | None, provider: str, model: str, response_model: str | None = None
    ) -> PriceTable | None:
        """The tenant's override for the requested or the answering model, else the bundled price."""
        for name in _names(model, response_model):
            override = self._overrides.get((tenant_id or "", provider, name))
            if override is not None:
                return override
        for name in _names(response_model, model):
            bundled = self._bundled(provider, name)
            if bundled is not None:
                return bundled
        return None

    def rates(self, tenant_id: str | None, provider: str, model: str, input_tokens: int = 0) -> Rates | None:
        """Per-token rates (e.g. for estimating what removed prompt tokens would have cost)."""
        table = self.table(tenant_id, provider, model)
        return None if table is None else table.rates_for(input_tokens)

    def quote(
        self, tenant_id: str | None, provider: str, model: str, usage: Usage, response_model: str | None = None
    ) -> Quote:
        if not usage.reported:
            return Quote(None, None)
        table = self.table(tenant_id, provider, model, response_model)
        if table is None:
            return Quote(None, None)
        return Quote(table.cost(usage), table.source)

    def _bundled(self, provider: str, model: str) -> PriceTable | None:
        provider_id = PRICE_PROVIDER.get(provider)
        if provider_id is None or not model:
            return None
        key = (provider_id, model)
        if key not in self._models:
            self.warm()
            if len(self._models) >= _LOOKUP_CACHE_MAX:
                self._models.clear()
            self._models[key] = self._find(provider_id, model)
        info = self._models[key]
        if info is None:
            return None
        model_price = info.prices if not isinstance(info.prices, list) else info.get_prices(datetime.now(UTC))
        cached = self._tables.get(id(model_price))
        if cached is None or cached[0] is not model_price:
            cached = (model_price, _table_from_genai(model_price, self._source))
            self._tables[id(model_price)] = cached
        return cached[1]

    def _find(self, provider_id: str, model: str) -> Any:
        try:
            _provider, info = self._snapshot.find_provider_model(model, None, provider_id, None)
        except LookupError:
            return None
        return info


def _names(first: str | None, second: str | None) -> tuple[str, ...]:
    if first and second and first != second:
        return (first, second)
    return (first,) if first else (second,) if second else ()


def _plain(value: Decimal) -> str:
    return money_text(value) or "0"


# -- deriving Rates from genai-prices -----------------------------------------------------------------
def _table_from_genai(model_price: Any, source: str) -> PriceTable | None:
    """Probe genai-prices with unit usages at each prompt-size tier, so our arithmetic is theirs."""
    from genai_prices.types import TieredPrices

    thresholds = sorted(
        {tier.start for value in vars(model_price).values() if isinstance(value, TieredPrices) for tier in value.tiers}
    )
    try:
        tiers = [(-1, _probe(model_price, 1))]
        tiers += [(start, _probe(model_price, start + 1)) for start in thresholds]
    except (ValueError, ArithmeticError) as exc:
        log.info("price not usable for %s: %s", model_price, exc)
        return None
    return PriceTable(tuple(tiers), source)


def _probe(model_price: Any, prompt: int) -> Rates:
    cost = _genai_cost(model_price)
    fee = cost()
    base = cost(input_tokens=prompt)
    size = Decimal(prompt)
    return Rates(
        input=(base - fee) / size,
        cached_input=(cost(input_tokens=prompt, cache_read_tokens=prompt) - fee) / size,
        cache_write=(cost(input_tokens=prompt, cache_write_tokens=prompt) - fee) / size,
        output=(cost(input_tokens=prompt, output_tokens=prompt) - base) / size,
        reasoning=(cost(input_tokens=prompt, output_tokens=prompt, output_reasoning_tokens=prompt) - base) / size,
        per_request=fee,
    )


def _genai_cost(model_price: Any) -> Callable[..., Decimal]:
    from genai_prices import Usage as PriceUsage

    def cost(**counts: int) -> Decimal:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return Decimal(model_price.calc_price(PriceUsage(**counts))["total_price"])

    return cost


def price_provider(provider: str) -> str | None:
    """The genai-prices provider id whose price table applies to our provider, if any."""
    return PRICE_PROVIDER.get(provider)
