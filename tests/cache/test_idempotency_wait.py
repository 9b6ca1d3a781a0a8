"""A request that waits for an in-flight one with its key longer than the bound gets 409, not a second call."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from killtoken_proxy.settings import Settings
from tests.cache.conftest import PRICED, Priced, metrics_of
from tests.cache.test_idempotency import wait_until


@pytest.fixture
def settings() -> Settings:
    return Settings.from_env().replace(idempotency_wait_seconds=0.2)


def test_waiting_past_the_bound_is_409_and_the_key_still_replays_later(priced: Priced):
    body = {**PRICED, "idempotencyKey": "slow-1"}
    priced.upstream.gate.clear()
    with ThreadPoolExecutor(max_workers=1) as pool:
        first = pool.submit(priced.chat, body)
        wait_until(lambda: len(priced.upstream.received) == 1)
        waiting = priced.chat(body)
        priced.upstream.gate.set()
        original = metrics_of(first.result())
    assert waiting.status_code == 409, waiting.text
    assert waiting.json()["error"] == "idempotency_in_progress"
    assert waiting.headers["retry-after"] == "1"
    assert original["requestId"] in waiting.json()["message"]
    assert metrics_of(priced.chat(body))["originalRequestId"] == original["requestId"]
    assert len(priced.upstream.received) == 1
