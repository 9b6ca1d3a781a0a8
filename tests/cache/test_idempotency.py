"""Idempotency keys through the live gateway: replays, reuse, per-tenant scope, failures, concurrency."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

import httpx
import openai
import pytest

from killtoken_proxy.settings import Settings
from tests.cache.conftest import HELLO, PRICED, GatedOpenAI, Priced, clocked_gateway, metrics_of
from tests.fakes.clock import FakeClock
from tests.fakes.openai_server import Reply, completion


def keyed(key: str, **extra: Any) -> dict[str, Any]:
    return {**PRICED, "idempotencyKey": key, **extra}


def without_metrics(response: httpx.Response) -> dict[str, Any]:
    body = dict(response.json())
    body.pop("killtoken")
    return body


def wait_until(condition: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.01)


def test_a_replay_returns_the_original_answer_without_a_provider_call(priced: Priced):
    priced.upstream.replies.append(Reply(200, completion(prompt_tokens=1000, completion_tokens=100, cached=200)))
    first = priced.chat(keyed("order-42"))
    original = metrics_of(first)
    # The same key in the header instead of the body is the same key.
    second = priced.chat(PRICED, {"x-killtoken-idempotency-key": "order-42"})
    replay = metrics_of(second)

    assert len(priced.upstream.received) == 1
    assert without_metrics(second) == without_metrics(first)
    assert replay["replay"] is True and replay["originalRequestId"] == original["requestId"]
    assert replay["requestId"] != original["requestId"] == first.headers["x-killtoken-request-id"]
    assert second.headers["x-killtoken-request-id"] == replay["requestId"]
    assert replay["costUsd"] == "0" and replay["verifiedSavingsUsd"] == original["costUsd"] == "0.0005"
    assert original["replay"] is False and original["originalRequestId"] is None

    records = {r["id"]: r for r in priced.requests()}
    assert records[replay["requestId"]]["replay"] is True
    assert records[replay["requestId"]]["original_request_id"] == original["requestId"]
    assert records[original["requestId"]]["replay"] is False


@pytest.mark.parametrize(("env", "ttl"), [({}, 86400), ({"KILLTOKEN_IDEMPOTENCY_TTL_SECONDS": "120"}, 120)])
def test_a_key_replays_until_the_idempotency_ttl_has_passed_and_is_new_after(
    monkeypatch: pytest.MonkeyPatch, upstream: GatedOpenAI, env: dict[str, str], ttl: int
):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    clock = FakeClock()
    with clocked_gateway(Settings.from_env(), clock, upstream) as http:
        first = metrics_of(http.post("/v1/chat", json=keyed("order-7")))
        clock.advance(ttl - 1)
        replay = metrics_of(http.post("/v1/chat", json=keyed("order-7")))
        assert replay["replay"] is True and replay["originalRequestId"] == first["requestId"]
        assert http.post("/v1/chat", json=keyed("order-7", temperature=0.3)).status_code == 422  # still held
        clock.advance(2)
        # Expired: the key is free again, for another request too, which the provider now answers.
        fresh = metrics_of(http.post("/v1/chat", json=keyed("order-7", temperature=0.3)))
        assert fresh["replay"] is False and fresh["originalRequestId"] is None
        again = metrics_of(http.post("/v1/chat", json=keyed("order-7", temperature=0.3)))
        assert again["replay"] is True and again["originalRequestId"] == fresh["requestId"]
    assert len(upstream.received) == 2


def test_keys_past_the_memory_budget_still_replay_and_still_refuse_reuse(
    monkeypatch: pytest.MonkeyPatch, upstream: GatedOpenAI
):
    monkeypatch.setenv("KILLTOKEN_IDEMPOTENCY_MEMORY_MB", "0.001")  # ~1 kB: one answer stays in memory
    with clocked_gateway(Settings.from_env(), FakeClock(), upstream) as http:
        originals = [metrics_of(http.post("/v1/chat", json=keyed(f"order-{n}")))["requestId"] for n in range(5)]
        for number, original in enumerate(originals):
            replay = metrics_of(http.post("/v1/chat", json=keyed(f"order-{number}")))
            assert replay["replay"] is True and replay["originalRequestId"] == original
        reused = http.post("/v1/chat", json=keyed("order-0", temperature=0.5))
        assert reused.status_code == 422 and reused.json()["error"] == "idempotency_key_reused"
    assert len(upstream.received) == 5


def test_the_same_key_with_a_different_request_is_422(priced: Priced):
    metrics_of(priced.chat(keyed("k-1")))
    for different in (keyed("k-1", temperature=0.1), keyed("k-1", metadata={"feature": "other"})):
        response = priced.chat(different)
        assert response.status_code == 422, response.text
        assert response.json()["error"] == "idempotency_key_reused"
    assert len(priced.upstream.received) == 1
    # Key order and whitespace do not make a request different.
    raw = b'{ "idempotencyKey" : "k-1", "messages": [ {"content": "Capital of France?", "role": "user"} ],\n'
    raw += b'  "model": "gpt-4.1-mini", "provider": "openai" }'
    assert metrics_of(priced.chat(raw))["replay"] is True


def test_keys_are_scoped_per_tenant(priced: Priced):
    metrics_of(priced.chat(keyed("shared-key")))
    other = metrics_of(priced.chat(keyed("shared-key", temperature=1), tenant="b"))
    assert other["replay"] is False and len(priced.upstream.received) == 2
    assert metrics_of(priced.chat(keyed("shared-key")))["replay"] is True


def test_a_failed_first_attempt_does_not_poison_the_key(priced: Priced):
    priced.upstream.replies.append(Reply(500, {"error": {"message": "overloaded"}}))
    failed = priced.chat(keyed("retry-me"))
    assert failed.status_code == 502 and failed.json()["error"] == "upstream_error"
    retried = metrics_of(priced.chat(keyed("retry-me")))
    assert retried["replay"] is False and len(priced.upstream.received) == 2
    assert metrics_of(priced.chat(keyed("retry-me")))["originalRequestId"] == retried["requestId"]


def concurrently(priced: Priced, body: dict[str, Any], count: int) -> list[httpx.Response]:
    priced.upstream.gate.clear()  # hold the first provider call until every request is on its way
    with ThreadPoolExecutor(max_workers=count) as pool:
        futures = [pool.submit(priced.chat, body) for _ in range(count)]
        wait_until(lambda: len(priced.upstream.received) >= 1)
        time.sleep(0.3)
        priced.upstream.gate.set()
        return [f.result() for f in futures]


def test_twenty_concurrent_requests_with_one_key_make_one_provider_call(priced: Priced):
    responses = concurrently(priced, keyed("burst-1"), 20)

    assert len(priced.upstream.received) == 1
    metrics = [metrics_of(r) for r in responses]
    originals = [m for m in metrics if not m["replay"]]
    assert len(originals) == 1
    assert all(m["originalRequestId"] == originals[0]["requestId"] for m in metrics if m["replay"])
    assert len({m["requestId"] for m in metrics}) == 20
    assert all(without_metrics(r) == without_metrics(responses[0]) for r in responses)

    records = [r for r in priced.requests() if r["status"] == 200]
    assert len(records) == 20
    billed = [r for r in records if Decimal(r["cost_usd"]) > 0]
    assert [r["id"] for r in billed] == [originals[0]["requestId"]]
    assert sum(Decimal(r["verified_savings_usd"]) for r in records) == 19 * Decimal(billed[0]["cost_usd"])


def test_concurrent_requests_share_the_first_ones_failure_and_a_later_retry_calls_again(priced: Priced):
    priced.upstream.replies.append(Reply(503, {"error": {"message": "try later"}}))
    responses = concurrently(priced, keyed("burst-2"), 5)
    assert {r.status_code for r in responses} == {502}
    assert len(priced.upstream.received) == 1
    assert metrics_of(priced.chat(keyed("burst-2")))["replay"] is False
    assert len(priced.upstream.received) == 2


def test_the_openai_sdk_gets_the_same_completion_back(priced: Priced):
    client = openai.OpenAI(base_url=f"{priced.a.url}/v1/openai", api_key=priced.a.key, max_retries=0)
    headers = {"x-killtoken-idempotency-key": "sdk-1"}
    first = client.chat.completions.create(model="gpt-4.1-mini", messages=HELLO, extra_headers=headers)
    second = client.chat.completions.create(model="gpt-4.1-mini", messages=HELLO, extra_headers=headers)
    assert second.id == first.id and second.choices == first.choices and second.usage == first.usage
    assert second.model_extra["killtoken"]["metrics"]["replay"] is True
    assert len(priced.upstream.received) == 1
    assert "idempotencyKey" not in priced.upstream.received[0].body


def test_a_key_first_answered_from_the_cache_replays_that_answer(priced: Priced):
    cached = {**PRICED, "cachePolicy": {"exactCache": "read_write"}}
    original = metrics_of(priced.chat(cached))
    hit = metrics_of(priced.chat({**cached, "idempotencyKey": "via-cache"}))
    replay = metrics_of(priced.chat({**cached, "idempotencyKey": "via-cache"}))
    assert hit["cacheStatus"] == "hit" and replay["replay"] is True
    assert replay["originalRequestId"] == hit["requestId"]
    assert replay["cacheStatus"] == "bypass"  # a replay never reaches the cache
    assert replay["verifiedSavingsUsd"] == hit["verifiedSavingsUsd"] == original["costUsd"]
    assert len(priced.upstream.received) == 1
