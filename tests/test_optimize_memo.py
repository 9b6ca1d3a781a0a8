"""A repeated prompt reuses its optimization result, which stays exactly what a fresh run reports; memory is bounded."""

from __future__ import annotations

import asyncio
import copy
from decimal import Decimal
from typing import Any

from killtoken_proxy.gateway.chat_request import ChatRequest
from killtoken_proxy.gateway.optimize.engine import optimize
from killtoken_proxy.gateway.optimize.memo import BoundedMemo
from killtoken_proxy.gateway.optimize.stage import PromptOptimizer
from killtoken_proxy.gateway.optimize.tokens import load_tokenizers

TOKENIZERS = load_tokenizers(None)
PROMPT: list[dict[str, Any]] = [
    {"role": "system", "content": "Be   brief.\n\n\n\nBe kind.  Answer in English."},
    {"role": "user", "content": "What is the capital of France?"},
]


def _optimizer() -> PromptOptimizer:
    return PromptOptimizer(TOKENIZERS, lambda tenant, provider, model, tokens: Decimal("0.000002") * tokens)


def test_a_repeated_prompt_reports_what_a_fresh_run_reports_in_every_mode():
    optimizer = _optimizer()
    for mode in ("measure_only", "safe", "balanced", "aggressive"):
        first = optimizer.report(copy.deepcopy(PROMPT), mode, "tn_a", "openai", "gpt-4o-mini")  # type: ignore[arg-type]
        again = optimizer.report(copy.deepcopy(PROMPT), mode, "tn_a", "openai", "gpt-4o-mini")  # type: ignore[arg-type]
        fresh = optimize(copy.deepcopy(PROMPT), mode, TOKENIZERS.for_model("gpt-4o-mini"))  # type: ignore[arg-type]
        assert again.to_json() == first.to_json()
        assert again.messages == fresh.messages and again.result.tokens_by_mode == fresh.tokens_by_mode
        assert again.to_json()["shadow"]["safe"]["tokensRemoved"] > 0


def test_measure_only_on_a_remembered_prompt_still_sends_the_requests_own_messages():
    optimizer = _optimizer()
    first = ChatRequest(provider="openai", model="gpt-4o-mini", messages=copy.deepcopy(PROMPT))
    mine = ChatRequest(provider="openai", model="gpt-4o-mini", messages=copy.deepcopy(PROMPT))
    asyncio.run(optimizer.apply(first, "tn_a", "openai"))
    sent, report = asyncio.run(optimizer.apply(mine, "tn_a", "openai"))
    assert sent is mine and sent.messages is mine.messages
    assert report.to_json()["shadow"]["safe"]["tokensRemoved"] > 0


def test_a_remembered_prompt_at_the_same_price_reuses_its_report():
    optimizer = _optimizer()
    first = optimizer.report(copy.deepcopy(PROMPT), "safe", "tn_a", "openai", "gpt-4o-mini")
    assert optimizer.report(copy.deepcopy(PROMPT), "safe", "tn_b", "openai", "gpt-4o-mini") is first


def test_savings_follow_the_current_price_even_for_a_remembered_prompt():
    price = {"rate": Decimal("0.000002")}
    optimizer = PromptOptimizer(TOKENIZERS, lambda tenant, provider, model, tokens: price["rate"] * tokens)
    before = optimizer.report(copy.deepcopy(PROMPT), "safe", "tn_a", "openai", "gpt-4o-mini")
    price["rate"] = Decimal("0.000004")  # e.g. a tenant price override changed in between
    after = optimizer.report(copy.deepcopy(PROMPT), "safe", "tn_a", "openai", "gpt-4o-mini")
    assert before.savings_usd is not None and after.savings_usd == 2 * before.savings_usd


def test_the_memo_forgets_the_least_recently_used_prompts_beyond_its_bounds():
    memo: BoundedMemo[int] = BoundedMemo(max_bytes=100, max_entries=3)
    for n in range(5):
        memo.get_or_compute(("k", bytes([n]) * 10), lambda n=n: n)  # type: ignore[misc]
    assert len(memo) == 3
    computed: list[int] = []
    assert memo.get_or_compute(("k", bytes([0]) * 10), lambda: computed.append(0) or 0) == 0
    assert computed == [0]  # the oldest had been dropped, so it was computed again
    for n in range(5, 10):
        memo.get_or_compute(("k", bytes([n]) * 20), lambda n=n: n)  # type: ignore[misc]
    assert len(memo) <= 100 // 20


def test_a_prompt_too_big_for_the_memo_is_computed_but_not_kept():
    memo: BoundedMemo[int] = BoundedMemo(max_bytes=100, max_entries=3)
    memo.get_or_compute(("k", b"small"), lambda: 1)
    assert memo.get_or_compute(("k", b"x" * 60), lambda: 2) == 2
    assert len(memo) == 1
