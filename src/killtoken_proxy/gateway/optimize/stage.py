"""The pipeline's optimize stage: rewrite a request's messages for its mode and report tokens and money saved.

Savings are an estimate: tokens removed (by our counter) times the model's input price. What the provider
bills is always its own reported usage.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from decimal import Decimal
from functools import cached_property
from typing import Any

from killtoken_proxy import json_codec
from killtoken_proxy.gateway.chat_request import ChatRequest, OptimizationMode
from killtoken_proxy.gateway.optimize.engine import Result, optimize
from killtoken_proxy.gateway.optimize.memo import BoundedMemo
from killtoken_proxy.gateway.optimize.messages import Message, texts
from killtoken_proxy.gateway.optimize.optimizer import MODES
from killtoken_proxy.gateway.optimize.tokens import Tokenizers
from killtoken_proxy.gateway.pricing import PriceBook
from killtoken_proxy.money import money_text

OFFLOAD_CHARS = 40_000
PriceLookup = Callable[[str | None, str | None, str, int], Decimal | None]  # (tenant, provider, model, tokens)


def input_cost(prices: PriceBook) -> PriceLookup:
    """What `tokens` prompt tokens cost this tenant on this model (its overrides included); None when unpriced.
    Savings read prices only here."""

    def price(tenant_id: str | None, provider: str | None, model: str, tokens: int) -> Decimal | None:
        rates = prices.rates(tenant_id, provider, model) if provider else None
        return None if rates is None else rates.input * tokens

    return price


@dataclass(frozen=True)
class OptimizationReport:
    result: Result
    savings_by_mode: dict[OptimizationMode, Decimal | None]

    @property
    def messages(self) -> list[Message]:
        return self.result.messages

    @property
    def savings_usd(self) -> Decimal | None:
        return self.savings_by_mode[self.result.mode]

    def potential_savings(self) -> dict[str, str]:
        """What each mode would save on this request (the ledger's `potential_savings_usd`, summed by reports)."""
        return self._potential

    @cached_property
    def _potential(self) -> dict[str, str]:  # built once, shared read-only like `_json`
        return {mode: text for mode in MODES[1:] if (text := money_text(self.savings_by_mode[mode])) is not None}

    def to_json(self) -> dict[str, Any]:
        """`killtoken.metrics.optimization` and the ledger's `optimization` field (documented in the README)."""
        return self._json

    @cached_property
    def _json(self) -> dict[str, Any]:  # built once: the metrics and the ledger record share it, read-only
        result = self.result
        return {
            "mode": result.mode,
            "tokenizer": result.counter.name,
            "tokenizerExact": result.counter.exact,
            "tokensBefore": result.tokens_before,
            "tokensAfter": result.tokens_after,
            "tokensRemoved": result.tokens_removed,
            "estimatedSavingsUsd": money_text(self.savings_usd),
            "optimizers": [
                {
                    "name": step.name,
                    "mode": step.mode,
                    "applied": step.applied,
                    "tokensBefore": step.tokens_before,
                    "tokensAfter": step.tokens_after,
                    "tokensRemoved": step.tokens_removed,
                    "edits": step.edits,
                }
                for step in result.steps
                if step.edits
            ],
            "shadow": {
                mode: {
                    "tokensRemoved": result.removed_by(mode),
                    "estimatedSavingsUsd": money_text(self.savings_by_mode[mode]),
                }
                for mode in MODES[1:]
            },
        }


@dataclass
class _Memoized:
    """One prompt's optimization, and its reports by input price (the same for every tenant paying it)."""

    result: Result
    reports: dict[Decimal | None, OptimizationReport] = field(default_factory=dict)


REPORTS_PER_PROMPT = 8  # distinct input prices seen for one prompt (tenants with their own rates)


class PromptOptimizer:
    def __init__(self, tokenizers: Tokenizers, price: PriceLookup) -> None:
        self._tokenizers = tokenizers
        self._price = price
        self._memo: BoundedMemo[_Memoized] = BoundedMemo()

    def report(
        self, messages: list[Message], mode: OptimizationMode, tenant_id: str | None, provider: str | None, model: str
    ) -> OptimizationReport:
        """Memoised: a prompt sent again at the same input price gets the very same (read-only) report.
        In measure_only its `messages` may be an equal copy of the request's: what is sent is the request's."""
        counter = self._tokenizers.for_model(model)
        key = (f"{counter.name}:{counter.exact}:{mode}", json_codec.dumps(messages))
        memoized = self._memo.get_or_compute(key, lambda: _Memoized(optimize(messages, mode, counter)))
        per_token = self._price(tenant_id, provider, model, 1)  # input prices are linear: one lookup
        report = memoized.reports.get(per_token)
        if report is None:
            result = memoized.result
            savings = {m: None if per_token is None else per_token * result.removed_by(m) for m in MODES}
            report = OptimizationReport(result, savings)
            if len(memoized.reports) < REPORTS_PER_PROMPT:
                memoized.reports[per_token] = report
        return report

    def measures_beside_the_call(self, request: ChatRequest) -> bool:
        """measure_only sends the prompt unchanged, so a big prompt's shadow estimate (tens to hundreds of
        milliseconds of CPU) can run while the provider works instead of before the call."""
        return request.optimization_mode == "measure_only" and _is_big(request)

    async def measure(self, request: ChatRequest, tenant_id: str, provider: str) -> OptimizationReport:
        """The shadow estimate alone, in a worker thread: other requests keep flowing."""
        return await asyncio.to_thread(
            self.report, request.messages, "measure_only", tenant_id, provider, request.model
        )

    async def apply(
        self, request: ChatRequest, tenant_id: str, provider: str
    ) -> tuple[ChatRequest, OptimizationReport]:
        """The request as it goes upstream (unchanged in measure_only) and what was done to it."""
        args = (request.messages, request.optimization_mode, tenant_id, provider, request.model)
        # A big prompt takes tens of milliseconds of CPU: off the event loop, other requests keep flowing.
        report = await asyncio.to_thread(self.report, *args) if _is_big(request) else self.report(*args)
        if request.optimization_mode == "measure_only" or report.messages is request.messages:
            return request, report
        return replace(request, messages=report.messages), report


def _is_big(request: ChatRequest) -> bool:
    return sum(len(text) for message in request.messages for text in texts(message)) > OFFLOAD_CHARS


def no_potential_savings() -> dict[str, str]:
    """The shadow estimate of a call that paid nothing (a cache hit, a replay): no mode could save on it."""
    return {mode: "0" for mode in MODES[1:]}
