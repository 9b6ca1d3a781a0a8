"""Cost of one call in USD (Decimal), from the genai-prices table; None when the model is not priced."""

from __future__ import annotations

import warnings
from decimal import Decimal
from functools import lru_cache

from killtoken_proxy.providers.base import Usage

# Our provider names -> genai-prices provider ids. Providers missing here (openai_compatible) are
# priced only when the credential names a priced provider/model; guessing would report wrong money.
_PRICE_PROVIDER = {
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


@lru_cache(maxsize=4096)
def _calc(provider_id: str, model: str, inp: int, cached: int, write: int, out: int) -> Decimal | None:
    from genai_prices import Usage as PriceUsage
    from genai_prices import calc_price

    usage = PriceUsage(input_tokens=inp, cache_read_tokens=cached, cache_write_tokens=write, output_tokens=out)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = calc_price(usage, model_ref=model, provider_id=provider_id)
    except LookupError:
        return None
    return Decimal(result.total_price)


def price_provider(provider: str) -> str | None:
    """The genai-prices provider id whose price table applies to our provider, if any."""
    return _PRICE_PROVIDER.get(provider)


def cost_usd(provider: str, model: str, usage: Usage) -> Decimal | None:
    provider_id = _PRICE_PROVIDER.get(provider)
    if provider_id is None or not usage.reported:
        return None
    return _calc(
        provider_id,
        model,
        usage.input_tokens,
        usage.cached_input_tokens,
        usage.cache_write_tokens,
        usage.output_tokens,
    )
