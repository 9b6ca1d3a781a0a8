"""The cache opportunity: repeats an exact cache (read_write, one TTL) would have answered, and their cost."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from killtoken_proxy.reports.summary import breakdown
from killtoken_proxy.reports.timerange import TimeRange
from killtoken_proxy.store.ledger import Ledger
from killtoken_proxy.store.ledger.repeats import RepeatTracker
from tests.fakes.ledger_records import T0, record


def at(minutes: float, **fields: Any) -> dict[str, Any]:
    fields.setdefault("cache_key", "k1")
    return record(T0 + timedelta(minutes=minutes), **fields)


def test_a_simulated_cache_decides_what_repeats(tmp_path: Path):
    ledger = Ledger(tmp_path, repeat_ttl=600)
    first = at(0, cost="0.01")
    cases = [
        (first, None),
        (at(1, status=502), None),  # failures are never served from a cache, nor fill it
        (at(2, cost="0.02"), first),  # a plain repeat within the TTL
        (at(3, cache_mode="write_only", cache_status="write"), first),  # writes but never reads: counts
        (at(4, cache_mode="read_write", cache_status="miss"), None),  # reads the cache already: no opportunity
        (at(5, cache_mode="read_write", cache_status="hit", cost="0", verified="0.01"), None),  # served already
        (at(6, replay=True), None),  # idempotent replay: no provider call
        (at(7, tenant="tn_other"), None),  # caches are per tenant
        (at(8, cache_key="k2"), None),  # another request
        (at(9.9, cost=None, provider="openai_compatible"), first),  # unpriced repeats are counted apart
    ]
    late = at(10.5)  # the entry filled at minute 0 expired at minute 10: this one refills it ...
    cases += [(late, None), (at(12, cost="0.04"), late)]  # ... and serves the next
    ledger.append([r for r, _ in cases])

    for written, repeats in cases:
        stored = ledger.get(written["tenant_id"], written["id"])
        assert stored is not None
        assert stored.get("repeat_of") == (repeats["id"] if repeats else None), written

    parts = breakdown(ledger, "tn_a", TimeRange(None, None))
    opportunity = parts.total.opportunity()
    # $0.02 (minute 2) + $0.0012 (minute 3) + $0.04 (minute 12); the unpriced one is counted, not summed
    assert opportunity == {"repeatRequests": 4, "repeatSpendUsd": "0.0612", "unpricedRepeats": 1}
    assert parts.total.spend == sum(
        (
            Decimal(r["cost_usd"])
            for r, _ in cases
            if r["tenant_id"] == "tn_a"
            and r.get("cost_usd")
            and r["status"] == 200
            and not r.get("replay")
            and r.get("cache_status") != "hit"
        ),
        Decimal(0),
    )


def test_the_detector_remembers_recent_requests_across_a_restart(tmp_path: Path):
    now = datetime.now(UTC)
    before = Ledger(tmp_path, repeat_ttl=3600)
    old = record(now - timedelta(hours=3), cache_key="stale")
    recent = record(now - timedelta(minutes=20), cache_key="fresh")
    before.append([old, recent])
    before.files.close()

    after = Ledger(tmp_path, repeat_ttl=3600)
    again_fresh = record(now, cache_key="fresh")
    again_stale = record(now, cache_key="stale")
    after.append([again_fresh, again_stale])
    assert after.get("tn_a", again_fresh["id"])["repeat_of"] == recent["id"]
    assert "repeat_of" not in after.get("tn_a", again_stale["id"])


def test_the_repeat_detector_keeps_at_most_its_cap_of_newest_keys():
    tracker = RepeatTracker(ttl_seconds=3600, max_entries=100)
    base = datetime(2026, 1, 1, tzinfo=UTC)

    def record(number: int, key: str) -> dict[str, object]:
        created = (base + timedelta(seconds=number)).isoformat()
        return {"id": f"req_{number:06d}", "tenant_id": "t", "status": 200, "cache_key": key, "created_at": created}

    for number in range(1000):
        assert tracker.observe(record(number, f"k{number}")) is None
        assert len(tracker) <= 100
    assert tracker.observe(record(1000, "k999")) == "req_000999", "recent keys are still found"
    assert tracker.observe(record(1001, "k0")) is None, "the oldest were let go"
