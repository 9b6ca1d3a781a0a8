"""The cache and idempotency stores on their own, with a fake clock: LRU by bytes, TTL, restarts, damage."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from decimal import Decimal
from pathlib import Path
from typing import TypeVar

from killtoken_proxy.store import idempotency_store
from killtoken_proxy.store.cache_store import CacheEntry, CacheStore
from killtoken_proxy.store.entry_files import EntryFiles, encode_entry, record_header
from killtoken_proxy.store.idempotency_store import IdempotencyRecord, IdempotencyStore, scope_of

T = TypeVar("T")
BODY = b'{"choices":[{"message":{"content":"Paris"},"finish_reason":"stop"}]}'


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def entry(key: str, clock: Clock, *, tenant: str = "tn_a", ttl: float = 100.0) -> CacheEntry:
    return CacheEntry(
        key=key.ljust(64, "0"),
        tenant_id=tenant,
        created_at=clock.now,
        expires_at=clock.now + ttl,
        request_id="req_" + key,
        model="gpt-4.1-mini",
        value_usd="0.00050",
        body=BODY,
    )


def size_of(item: CacheEntry) -> int:
    return len(encode_entry(record_header(item), item.body))


def run(scenario: Callable[[], Awaitable[T]]) -> T:
    return asyncio.run(scenario())  # type: ignore[arg-type]


async def opened(folder: Path, clock: Clock, *, max_bytes: int = 10_000) -> CacheStore:
    store = CacheStore(EntryFiles(folder), max_bytes=max_bytes, clock=clock)
    store.start()
    await store.ready()
    return store


def test_least_recently_used_entries_go_first_when_the_size_bound_is_reached(tmp_path: Path):
    clock = Clock()
    a, b, c, d = (entry(k, clock) for k in "abcd")

    async def scenario() -> None:
        store = await opened(tmp_path, clock, max_bytes=3 * size_of(a))
        for item in (a, b, c):
            assert store.put(item)
        assert store.get("tn_a", a.key) == a  # a is now more recent than b
        store.put(d)
        assert store.get("tn_a", b.key) is None
        assert [store.get("tn_a", x.key) for x in (a, c, d)] == [a, c, d]
        assert store.total_bytes == 3 * size_of(a) and store.usage("tn_a") == (3, 3 * size_of(a))
        await store.close()

    run(scenario)
    assert not (tmp_path / b.key[:2] / b.key).exists()
    assert (tmp_path / a.key[:2] / a.key).exists()


def test_an_entry_larger_than_the_whole_cache_is_not_stored(tmp_path: Path):
    clock = Clock()

    async def scenario() -> None:
        store = await opened(tmp_path, clock, max_bytes=size_of(entry("a", clock)) - 1)
        assert store.put(entry("a", clock)) is False
        assert store.usage("tn_a") == (0, 0)
        await store.close()

    run(scenario)


def test_entries_expire_by_their_ttl_and_a_read_can_ask_for_younger(tmp_path: Path):
    clock = Clock()
    short, long = entry("s", clock, ttl=10), entry("l", clock, ttl=1000)

    async def scenario() -> None:
        store = await opened(tmp_path, clock)
        store.put(short), store.put(long)
        clock.now += 5
        assert store.get("tn_a", short.key) == short
        assert store.get("tn_a", long.key, max_age=5) is None  # exactly 5 s old is too old for max_age=5
        assert store.get("tn_a", long.key, max_age=6) == long
        clock.now += 6
        assert store.get("tn_a", short.key) is None
        store.put(entry("x", clock))  # writing sweeps whatever else has expired
        clock.now += 1000
        assert store.usage("tn_a") == (0, 0)
        await store.close()

    run(scenario)
    assert [p for p in tmp_path.rglob("*") if p.is_file() and not p.name.startswith("_")] == []


def test_tenants_see_and_clear_only_their_own_entries(tmp_path: Path):
    clock = Clock()

    async def scenario() -> None:
        store = await opened(tmp_path, clock)
        old = entry("o", clock, ttl=1000)
        clock.now += 100
        young_a, young_b = entry("y", clock, ttl=500), entry("b", clock, tenant="tn_b", ttl=500)
        for item in (old, young_a, young_b):
            store.put(item)
        assert store.get("tn_b", young_a.key) is None  # a key made for tenant a is not tenant b's
        assert store.remove("tn_a", older_than=50) == (1, size_of(old))
        assert store.remove("tn_a") == (1, size_of(young_a))
        assert store.usage("tn_b") == (1, size_of(young_b))
        await store.close()

    run(scenario)


def test_entries_lru_order_and_counters_survive_a_restart(tmp_path: Path):
    clock = Clock()
    a, b, c = (entry(k, clock) for k in "abc")

    async def first_life() -> None:
        store = await opened(tmp_path, clock)
        for item in (a, b, c):
            store.put(item)
        await store.files.flush()
        store.get("tn_a", a.key)
        store.counters.lookup("tn_a", hit=True, saved_usd=Decimal("0.00050"))
        store.counters.lookup("tn_a", hit=False)
        await store.close()

    async def second_life() -> None:
        store = await opened(tmp_path, clock, max_bytes=2 * size_of(a))  # one must go: b, the least recent
        assert store.get("tn_a", b.key) is None
        assert store.get("tn_a", a.key) == a and store.get("tn_a", c.key) == c
        counters = store.counters.of("tn_a")
        assert (counters.lookups, counters.hits, counters.saved_usd) == (2, 1, Decimal("0.00050"))
        await store.close()

    run(first_life)
    run(second_life)


def test_damaged_renamed_and_half_written_files_are_dropped_on_load(tmp_path: Path):
    clock = Clock()
    good, renamed = entry("g", clock), entry("r", clock)
    for item, name in ((good, good.key), (renamed, "f" * 64)):
        (tmp_path / name[:2]).mkdir(exist_ok=True)
        (tmp_path / name[:2] / name).write_bytes(encode_entry(record_header(item), item.body))
    (tmp_path / "aa").mkdir()
    (tmp_path / "aa" / ("a" * 64)).write_bytes(b"")  # a crash left it empty
    (tmp_path / "aa" / ".tmp-half-written").write_bytes(b'{"key":')
    (tmp_path / "_counters.json").write_bytes(b"not json")

    async def scenario() -> None:
        store = await opened(tmp_path, clock)
        assert store.get("tn_a", good.key) == good and store.usage("tn_a") == (1, size_of(good))
        assert store.counters.of("tn_a").lookups == 0
        await store.close()

    run(scenario)
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == sorted([good.key, "_counters.json"])


def record(key: str, clock: Clock, *, ttl: float = 86400) -> IdempotencyRecord:
    return IdempotencyRecord(
        scope=scope_of("tn_a", key),
        tenant_id="tn_a",
        fingerprint="f" * 64,
        request_id="req_" + key,
        created_at=clock.now,
        expires_at=clock.now + ttl,
        model="gpt-4.1-mini",
        value_usd=None,
        body=BODY,
    )


def test_idempotency_records_survive_a_restart_until_they_expire(tmp_path: Path):
    clock = Clock()
    assert scope_of("tn_a", "k") != scope_of("tn_b", "k")

    async def first_life() -> None:
        store = IdempotencyStore(EntryFiles(tmp_path), clock=clock)
        store.start()
        await store.ready()
        store.put(record("short", clock, ttl=60))
        store.put(record("long", clock))
        await store.close()

    async def second_life() -> tuple[IdempotencyRecord | None, IdempotencyRecord | None, int]:
        store = IdempotencyStore(EntryFiles(tmp_path), clock=clock)
        await store.ready()  # ready() alone starts the store
        result = store.get(scope_of("tn_a", "short")), store.get(scope_of("tn_a", "long")), len(store)
        clock.now += 86400
        store.put(record("new", clock))  # writing drops what has expired at the front
        assert len(store) == 1
        await store.close()
        return result

    run(first_life)
    clock.now += 61
    short, long, count = run(second_life)
    assert short is None and count == 1
    assert long == record("long", Clock())
    assert [p.name for p in tmp_path.rglob("*") if p.is_file()] == [scope_of("tn_a", "new")]


async def spilling_store(tmp_path: Path, clock: Clock, records_in_memory: int) -> IdempotencyStore:
    """An open store whose memory budget holds `records_in_memory` of `record`'s answers."""
    footprint = len(BODY) + idempotency_store.RECORD_OVERHEAD
    store = IdempotencyStore(EntryFiles(tmp_path), clock=clock, memory_budget=records_in_memory * footprint)
    store.start()
    await store.ready()
    return store


def test_idempotency_memory_is_bounded_and_spilled_records_still_replay_from_disk(tmp_path: Path):
    clock = Clock()

    async def scenario() -> None:
        store = await spilling_store(tmp_path, clock, 3)
        for number in range(10):
            store.put(record(f"k{number}", clock, ttl=600))
        assert len(store) == 3, "only the newest three stay in memory"
        assert store.get(scope_of("tn_a", "k0")) is None
        queued = await store.find(scope_of("tn_a", "k0"))  # its file is still queued for the disk
        await store.files.flush()
        from_disk = await store.find(scope_of("tn_a", "k0"))
        assert queued == from_disk == record("k0", Clock(), ttl=600)
        assert await store.find(scope_of("tn_a", "never-used")) is None
        clock.now += 601
        assert await store.find(scope_of("tn_a", "k1")) is None, "expired on disk is expired"
        await store.close()

    run(scenario)


def test_files_of_expired_spilled_records_are_swept(tmp_path: Path):
    clock = Clock()

    async def scenario() -> list[str]:
        store = await spilling_store(tmp_path, clock, 2)
        for number in range(6):
            store.put(record(f"old{number}", clock, ttl=60))
        await store.files.flush()
        clock.now += idempotency_store.SWEEP_EVERY
        store.put(record("fresh", clock, ttl=600))  # the first write after an hour starts a sweep
        assert store._sweeping is not None
        await store._sweeping
        assert not store._spilled_until, "all spilled records expired and swept: misses need no disk read now"
        await store.files.flush()
        await store.close()
        return sorted(p.name for p in tmp_path.rglob("*") if p.is_file())

    assert run(scenario) == [scope_of("tn_a", "fresh")]


def test_a_key_used_again_while_a_sweep_scans_keeps_its_new_file(tmp_path: Path):
    clock = Clock()
    scanned, go_on = threading.Event(), threading.Event()

    async def scenario() -> IdempotencyRecord | None:
        store = await spilling_store(tmp_path, clock, 2)
        for number in range(4):
            store.put(record(f"k{number}", clock, ttl=60))
        await store.files.flush()
        real = store._expired_files

        def slow(now: float) -> list[str]:
            names = real(now)  # k0 is expired on disk ...
            scanned.set()
            go_on.wait(10)
            return names

        store._expired_files = slow  # type: ignore[method-assign]
        clock.now += idempotency_store.SWEEP_EVERY
        store.put(record("fresh", clock, ttl=600))  # starts the sweep
        while not scanned.is_set():
            await asyncio.sleep(0.01)
        store.put(record("k0", clock, ttl=600))  # ... but is used again before the sweep deletes ...
        store.put(record("later1", clock, ttl=600))  # ... and leaves memory for the disk
        store.put(record("later2", clock, ttl=600))
        go_on.set()
        assert store._sweeping is not None
        await store._sweeping
        await store.files.flush()
        found = await store.find(scope_of("tn_a", "k0"))
        await store.close()
        return found

    found = run(scenario)
    assert found is not None and found.expires_at == Clock().now + idempotency_store.SWEEP_EVERY + 600


def test_start_up_reads_only_what_fits_the_memory_budget_and_the_rest_still_replays(tmp_path: Path):
    clock = Clock()
    footprint = len(BODY) + idempotency_store.RECORD_OVERHEAD

    async def first_life() -> None:
        store = IdempotencyStore(EntryFiles(tmp_path), clock=clock)
        store.start()
        await store.ready()
        for number in range(10):
            store.put(record(f"k{number}", clock, ttl=600))
            clock.now += 1
        await store.close()

    async def second_life() -> tuple[int, IdempotencyRecord | None]:
        store = IdempotencyStore(EntryFiles(tmp_path), clock=clock, memory_budget=3 * footprint + 200)
        await store.ready()
        in_memory = len(store)
        oldest = await store.find(scope_of("tn_a", "k0"))
        await store.close()
        return in_memory, oldest

    run(first_life)
    in_memory, oldest = run(second_life)
    assert in_memory == 3 and oldest is not None and oldest.request_id == "req_k0"
