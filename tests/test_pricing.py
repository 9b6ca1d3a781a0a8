"""Costs per provider usage shape, checked against hand-computed figures and against genai-prices itself."""

from __future__ import annotations

import random
import warnings
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from killtoken_proxy.gateway.pricing import PRICE_PROVIDER, PriceBook, override_table
from killtoken_proxy.providers.base import Usage
from killtoken_proxy.providers.openai_family import usage_from_openai

D = Decimal


@pytest.fixture(scope="module")
def book() -> PriceBook:
    book = PriceBook()
    book.warm()
    return book


def rates_book(provider: str, model: str, **per_million: str) -> PriceBook:
    """A book whose only price is a tenant override with the given USD-per-1M rates."""
    book = PriceBook()
    book.set_override(
        "tn",
        provider,
        model,
        override_table(
            D(per_million["input"]),
            D(per_million["output"]),
            D(per_million["cached"]) if "cached" in per_million else None,
            D(per_million["write"]) if "write" in per_million else None,
        ),
    )
    return book


def test_openai_cached_tokens_are_billed_once_at_the_cached_rate_and_reasoning_as_output():
    raw = {
        "prompt_tokens": 1000,  # includes the 400 cached
        "completion_tokens": 500,  # includes the 300 reasoning
        "prompt_tokens_details": {"cached_tokens": 400},
        "completion_tokens_details": {"reasoning_tokens": 300},
    }
    book = rates_book("openai", "gpt-x", input="2", cached="0.5", output="8")
    quote = book.quote("tn", "openai", "gpt-x", usage_from_openai(raw))
    # 600 x $2 + 400 x $0.50 + 500 x $8 per million = $0.0054
    assert quote.cost == D("0.0054") and isinstance(quote.cost, Decimal) and quote.source == "override"


def test_bundled_openai_price_by_hand(book: PriceBook):
    usage = usage_from_openai(
        {"prompt_tokens": 1000, "completion_tokens": 100, "prompt_tokens_details": {"cached_tokens": 200}}
    )
    # gpt-4.1-mini: $0.40/M input, $0.10/M cached input, $1.60/M output; the dated snapshot name matches too.
    for model in ("gpt-4.1-mini", "gpt-4.1-mini-2025-04-14"):
        assert book.quote(None, "openai", model, usage).cost == D("0.0005")


def test_anthropic_cache_reads_and_writes_at_their_own_rates(book: PriceBook):
    # Anthropic usage {"input_tokens": 100, "cache_creation_input_tokens": 2000, "cache_read_input_tokens": 5000,
    # "output_tokens": 400}: its input_tokens exclude cache reads and writes, so the total input is 7100.
    usage = Usage(input_tokens=7100, cached_input_tokens=5000, cache_write_tokens=2000, output_tokens=400)
    book_rates = rates_book("anthropic", "claude-x", input="3", cached="0.30", write="3.75", output="15")
    # 100 x $3 + 5000 x $0.30 + 2000 x $3.75 + 400 x $15 per million = $0.0153
    assert book_rates.quote("tn", "anthropic", "claude-x", usage).cost == D("0.0153")
    assert book.quote(None, "anthropic", "claude-sonnet-4-5", usage).cost == D("0.0153")  # list price, same rates


def test_gemini_thoughts_are_output_and_long_prompts_use_the_upper_tier(book: PriceBook):
    # usageMetadata {"promptTokenCount": 3000, "cachedContentTokenCount": 1000, "candidatesTokenCount": 200,
    # "thoughtsTokenCount": 800}: output = candidates + thoughts.
    usage = Usage(input_tokens=3000, cached_input_tokens=1000, output_tokens=1000, reasoning_tokens=800)
    # gemini-2.5-pro up to 200k prompt tokens: $1.25 input, $0.125 cached, $10 output (thoughts included)
    assert book.quote(None, "gemini", "gemini-2.5-pro", usage).cost == D("0.012625")
    # above 200k prompt tokens every rate steps up: $2.50 input, $15 output
    long_prompt = Usage(input_tokens=300_000, output_tokens=1000)
    assert book.quote(None, "gemini", "gemini-2.5-pro", long_prompt).cost == D("0.765")


def test_xai_reasoning_reported_apart_is_billed_as_output():
    # xAI reports reasoning outside completion_tokens; the adapter folds it in: output = 100 + 900.
    usage = Usage(input_tokens=500, cached_input_tokens=200, output_tokens=1000, reasoning_tokens=900)
    book = rates_book("xai", "grok-x", input="3", cached="0.75", output="15")
    # 300 x $3 + 200 x $0.75 + 1000 x $15 per million = $0.01605
    assert book.quote("tn", "xai", "grok-x", usage).cost == D("0.01605")


def test_deepseek_cache_hits_and_bedrock_cache_writes():
    # DeepSeek {"prompt_tokens": 1000, "prompt_cache_hit_tokens": 600, "prompt_cache_miss_tokens": 400}
    deepseek = rates_book("deepseek", "deepseek-chat", input="0.27", cached="0.07", output="1.1")
    usage = Usage(input_tokens=1000, cached_input_tokens=600, output_tokens=100)
    assert deepseek.quote("tn", "deepseek", "deepseek-chat", usage).cost == D("0.00026")  # 108 + 42 + 110
    # Bedrock {"inputTokens": 100, "cacheReadInputTokens": 1000, "cacheWriteInputTokens": 500, "outputTokens": 50}
    bedrock = rates_book("aws_bedrock", "claude-x", input="3", cached="0.3", write="3.75", output="15")
    usage = Usage(input_tokens=1600, cached_input_tokens=1000, cache_write_tokens=500, output_tokens=50)
    assert bedrock.quote("tn", "aws_bedrock", "claude-x", usage).cost == D("0.003225")  # 300 + 300 + 1875 + 750


def test_override_without_cache_rates_bills_cached_tokens_at_the_input_rate():
    book = rates_book("together", "m", input="1", output="2")
    usage = Usage(input_tokens=1000, cached_input_tokens=500, cache_write_tokens=100, output_tokens=10)
    assert book.quote("tn", "together", "m", usage).cost == D("0.00102")  # 1000 x $1 + 10 x $2 per million


def test_perplexity_request_fee_is_part_of_the_cost(book: PriceBook):
    usage = Usage(input_tokens=100, output_tokens=100)
    # sonar: $1/M input, $1/M output, plus $12 per 1000 requests
    assert book.quote(None, "perplexity", "sonar", usage).cost == D("0.0122")


def test_unknown_models_and_missing_usage_are_unpriced_never_zero(book: PriceBook):
    usage = Usage(input_tokens=10, output_tokens=10)
    assert book.quote(None, "openai_compatible", "llama-3.1-8b", usage).cost is None
    assert book.quote(None, "openai", "no-such-model-anywhere", usage).cost is None
    assert book.quote(None, "openai", "gpt-4.1-mini", Usage(reported=False)).cost is None


def test_overrides_win_for_their_tenant_only(book: PriceBook):
    usage = Usage(input_tokens=1_000_000, output_tokens=0)
    book.set_override("tn_a", "openai", "gpt-4.1-mini", override_table(D("0.2"), D("0.8")))
    try:
        assert book.quote("tn_a", "openai", "gpt-4.1-mini", usage).cost == D("0.2")
        assert book.quote("tn_b", "openai", "gpt-4.1-mini", usage).cost == D("0.4")
        # the answering model's name finds the override too (e.g. a custom server echoing its own name)
        assert book.quote("tn_a", "openai", "alias", usage, response_model="gpt-4.1-mini").cost == D("0.2")
    finally:
        book.remove_override("tn_a", "openai", "gpt-4.1-mini")
    assert book.quote("tn_a", "openai", "gpt-4.1-mini", usage).cost == D("0.4")


def test_fast_rates_equal_genai_prices_for_every_bundled_model(book: PriceBook):
    """The request path's arithmetic must agree with genai-prices' own calculation, model by model."""
    from genai_prices import Usage as PriceUsage
    from genai_prices import data_snapshot

    rng = random.Random(3)
    snapshot = data_snapshot.get_snapshot()
    ours = {v: k for k, v in PRICE_PROVIDER.items()}
    checked = skipped = 0
    for provider in snapshot.providers:
        if provider.id not in ours:
            continue
        for model in provider.models:
            for _ in range(3):
                prompt = rng.choice([5, 1200, 150_000, 250_000])
                cached, written = rng.randint(0, prompt // 2), rng.randint(0, prompt // 4)
                output = rng.randint(0, 5000)
                reasoning = rng.randint(0, output)
                usage = Usage(prompt, cached, written, output, reasoning)
                theirs = PriceUsage(
                    input_tokens=prompt,
                    cache_read_tokens=cached,
                    cache_write_tokens=written,
                    output_tokens=output,
                    output_reasoning_tokens=reasoning,
                )
                try:
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        price = model.get_prices(datetime.now(UTC))
                        expected = price.calc_price(theirs)["total_price"]
                except ValueError:
                    continue  # usage genai-prices itself refuses for this model
                quote = book.quote(None, ours[provider.id], model.id, usage)
                if quote.cost is None:
                    skipped += 1  # the id resolves to another entry first (aliases); counted below
                    continue
                assert quote.cost == expected, (provider.id, model.id, usage)
                checked += 1
    assert checked > 1000 and skipped < checked / 10
