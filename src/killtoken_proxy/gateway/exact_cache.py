"""The exact-cache stage: `cachePolicy` decides whether a request reads the cache before the provider
and whether its answer is stored after; only complete successful answers are stored.

cacheStatus: `hit` served from the cache; `miss` looked up and not found (provider called; with
read_write the answer is then stored if it may be); `write` stored without a lookup (write_only);
`bypass` the cache played no part (mode bypass, a replay, or a write_only answer the cache did not
take: incomplete, or larger than the whole cache). The ledger's `cache_written` says whether a
writing mode's answer was actually stored.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from killtoken_proxy import json_codec
from killtoken_proxy.gateway.chat_request import ChatRequest
from killtoken_proxy.gateway.stored_answer import StoredAnswer, decimal_or_none
from killtoken_proxy.providers.base import ProviderResult
from killtoken_proxy.store.cache_store import CacheEntry, CacheStore

if TYPE_CHECKING:
    from killtoken_proxy.gateway.pipeline import Call

READING_MODES = ("read_only", "read_write")
WRITING_MODES = ("write_only", "read_write")
COMPLETE_FINISH_REASONS = frozenset({"stop", "tool_calls", "function_call"})
# A `length` stop is the answer the request asked for when it set the limit itself (the limit is in the key).
LENGTH_LIMIT_PARAMS = ("max_tokens", "max_completion_tokens")


def storable(request: ChatRequest, body: dict[str, Any]) -> bool:
    """Complete answers only: every choice ended normally, or by a length limit the request set."""
    choices = body.get("choices")
    if not isinstance(choices, list) or not choices:
        return False
    asked_for_length = any(request.params.get(name) is not None for name in LENGTH_LIMIT_PARAMS)
    for choice in choices:
        reason = choice.get("finish_reason") if isinstance(choice, dict) else None
        if reason not in COMPLETE_FINISH_REASONS and not (reason == "length" and asked_for_length):
            return False
    return True


def status_after_provider(request: ChatRequest, body: dict[str, Any]) -> str:
    """The status before the write; `ExactCache.write` turns write_only's `write` into `bypass` if refused."""
    mode = request.cache_policy.exact_cache
    if mode in READING_MODES:
        return "miss"
    if mode == "write_only" and storable(request, body):
        return "write"
    return "bypass"


class ExactCache:
    def __init__(self, store: CacheStore, *, default_ttl: float, clock: Callable[[], float] = time.time) -> None:
        self._store = store
        self._default_ttl = default_ttl
        self._clock = clock

    async def read(self, call: Call) -> StoredAnswer | None:
        assert call.request is not None and call.tenant is not None
        policy = call.request.cache_policy
        if policy.exact_cache not in READING_MODES:
            return None
        await self._store.ready()
        entry = self._store.get(call.tenant.id, call.record["cache_key"], max_age=policy.ttl_seconds)
        body = _body_of(entry)
        if entry is None or body is None:
            self._store.counters.lookup(call.tenant.id, hit=False)
            return None
        value = decimal_or_none(entry.value_usd)
        self._store.counters.lookup(call.tenant.id, hit=True, saved_usd=value)
        call.record["cached_from_request_id"] = entry.request_id
        return StoredAnswer(body, entry.model, value, entry.request_id, cache_status="hit")

    async def write(self, call: Call, result: ProviderResult, metrics: dict[str, Any]) -> None:
        """Store the answer if the policy asks and it may be stored; `metrics` then says what happened."""
        assert call.request is not None and call.tenant is not None
        policy = call.request.cache_policy
        if policy.exact_cache not in WRITING_MODES:
            return
        written = storable(call.request, result.body) and await self._put(call, result, metrics)
        call.record["cache_written"] = written
        if metrics["cacheStatus"] == "write" and not written:
            metrics["cacheStatus"] = "bypass"

    async def _put(self, call: Call, result: ProviderResult, metrics: dict[str, Any]) -> bool:
        assert call.request is not None and call.tenant is not None
        policy = call.request.cache_policy
        await self._store.ready()
        now = self._clock()
        entry = CacheEntry(
            key=call.record["cache_key"],
            tenant_id=call.tenant.id,
            created_at=now,
            expires_at=now + (policy.ttl_seconds or self._default_ttl),
            request_id=call.request_id,
            model=result.model,
            value_usd=metrics["costUsd"],
            body=json_codec.dumps(result.body),
        )
        if not self._store.put(entry):
            return False  # larger than the whole cache
        self._store.counters.write(call.tenant.id)
        return True


def _body_of(entry: CacheEntry | None) -> dict[str, Any] | None:
    """Parsed afresh for every hit, so no two responses share (and could alter) one object."""
    if entry is None:
        return None
    try:
        body = json_codec.loads(entry.body)
    except ValueError:
        return None
    return body if isinstance(body, dict) else None
