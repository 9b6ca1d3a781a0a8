"""The ledger at scale: bounded segments, atomic and duplicate-free writes, recovery, pages and filters."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from killtoken_proxy.store import atomic_storage
from killtoken_proxy.store.ledger import Ledger, RecordFilter
from killtoken_proxy.store.ledger.records import created
from tests.fakes.ledger_records import T0, record, varied


def ids_on_disk(folder: Path) -> list[str]:
    ids = []
    for path in folder.glob("*/seg-*.json"):
        ids += [doc["id"] for doc in json.loads(path.read_text())["requests"].values()]
    return ids


def write_in_batches(ledger: Ledger, records: list[dict[str, Any]], size: int) -> None:
    for at in range(0, len(records), size):
        ledger.append(records[at : at + size])


def test_segments_are_bounded_sealed_and_split_by_day(tmp_path: Path):
    ledger = Ledger(tmp_path, segment_records=10)
    records = [record(T0 + timedelta(minutes=i)) for i in range(35)]
    records += [record(T0 + timedelta(days=1, minutes=i)) for i in range(3)]
    write_in_batches(ledger, records, 5)

    day_one = sorted((tmp_path / "2026-06-01").glob("seg-*.json"))
    assert [len(json.loads(p.read_text())["requests"]) for p in day_one] == [10, 10, 10, 5]
    # Full segments are sealed; so is a past day's open one once writing has moved on to the next day.
    sealed = json.loads((tmp_path / "2026-06-01" / "index.json").read_text())["segments"]
    assert sorted(sealed) == [p.stem for p in day_one]
    assert len(list((tmp_path / "2026-06-02").glob("seg-*.json"))) == 1
    assert not (tmp_path / "2026-06-02" / "index.json").exists()  # still open

    ledger.files.close()  # clean shutdown seals what is open
    assert len(json.loads((tmp_path / "2026-06-02" / "index.json").read_text())["segments"]) == 1
    reopened = Ledger(tmp_path, segment_records=10)
    assert len(reopened.query("tn_a", limit=100)) == 38
    assert not list(tmp_path.glob("*/.*"))  # no temp files left behind


def test_models_called_successfully_are_known_per_tenant_and_after_a_restart(tmp_path: Path):
    ledger = Ledger(tmp_path, segment_records=2)
    ledger.append(
        [
            record(T0, provider="openai_compatible", model="llama-3.1-8b"),
            record(T0, provider="openai_compatible", model="typo-model", status=404),
            record(T0, provider="openai", model="gpt-4.1-mini", tenant="tn_b"),
        ]
    )
    assert ledger.models_called("tn_a") == {("openai_compatible", "llama-3.1-8b")}
    ledger.files.close()
    reopened = Ledger(tmp_path, segment_records=2)
    reopened.files.load()
    assert reopened.models_called("tn_a") == {("openai_compatible", "llama-3.1-8b")}
    assert reopened.models_called("tn_b") == {("openai", "gpt-4.1-mini")}


def test_segments_are_bounded_by_bytes_too_when_content_is_stored(tmp_path: Path):
    ledger = Ledger(tmp_path, segment_bytes=64 * 1024)
    big = [
        record(T0 + timedelta(seconds=i), content={"messages": [{"role": "user", "content": "x" * 6000}]})
        for i in range(60)
    ]
    write_in_batches(ledger, big, 25)
    sizes = [p.stat().st_size for p in (tmp_path / "2026-06-01").glob("seg-*.json")]
    assert len(sizes) >= 5 and max(sizes) <= 64 * 1024 + 7000  # at most one record over the bound
    assert len(ledger.query("tn_a", limit=100)) == 60


def test_a_write_costs_the_same_in_a_big_ledger_as_in_a_small_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    written: list[int] = []
    real_write = atomic_storage.write_chunks_atomically

    def measuring(path: Path, chunks: Sequence[bytes]) -> None:
        if path.name.startswith("seg-"):
            written.append(sum(len(chunk) for chunk in chunks))
        real_write(path, chunks)

    monkeypatch.setattr(atomic_storage, "write_chunks_atomically", measuring)
    ledger = Ledger(tmp_path, segment_records=50)
    records = [record(T0 + timedelta(seconds=i)) for i in range(1000)]
    write_in_batches(ledger, records[:100], 10)
    small = max(written)
    written.clear()
    write_in_batches(ledger, records[100:], 10)
    # 10x the records, same bytes per write: each write rewrites one bounded segment, never the ledger.
    assert max(written) <= small * 1.05
    assert len(ledger.query("tn_a", limit=500)) == 500


def test_records_survive_a_crash_with_unsealed_segments_and_temp_files(tmp_path: Path):
    records = varied(300)
    crashed = Ledger(tmp_path, segment_records=40)
    write_in_batches(crashed, records, 25)  # no close(): the last segment of each day stays unsealed
    day_dir = next(tmp_path.iterdir())
    (day_dir / ".seg-0000099.json.tmp123").write_text('{"requests": {"1": {"id": "half-writ')
    (tmp_path / "2026-06-01" / "index.json").write_text("{not json")  # a catalog we cannot trust

    reopened = Ledger(tmp_path, segment_records=40)
    everything = list(reopened.iterate(RecordFilter("tn_a"))) + list(reopened.iterate(RecordFilter("tn_b")))
    assert sorted(r["id"] for r in everything) == sorted(r["id"] for r in records)
    assert not list(tmp_path.glob("*/.*"))
    assert json.loads((tmp_path / "2026-06-01" / "index.json").read_text())["segments"]  # rebuilt


def test_a_failed_write_is_retried_and_never_duplicates(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    real_write = atomic_storage.write_chunks_atomically
    failures = {"left": 1}

    def flaky(path: Path, chunks: Sequence[bytes]) -> None:
        if path.parent.name == "2026-06-02" and path.name.startswith("seg-") and failures["left"]:
            failures["left"] -= 1
            raise OSError(28, "No space left on device")
        real_write(path, chunks)

    monkeypatch.setattr(atomic_storage, "write_chunks_atomically", flaky)
    ledger = Ledger(tmp_path)
    batch = [record(T0 + timedelta(hours=20 + i)) for i in range(8)]  # spans two UTC days
    unwritten = ledger.files.append(batch)
    assert [r["id"] for r in unwritten] == [r["id"] for r in batch if r["created_at"] >= "2026-06-02"]
    assert ledger.files.append(unwritten) == []
    on_disk = ids_on_disk(tmp_path)
    assert sorted(on_disk) == sorted(r["id"] for r in batch) and len(set(on_disk)) == len(on_disk)


def test_pages_walk_every_record_once_newest_first(tmp_path: Path):
    records = varied(400)
    ledger = Ledger(tmp_path, segment_records=7)
    write_in_batches(ledger, records, 9)
    expected = sorted((r["id"] for r in records if r["tenant_id"] == "tn_a"), reverse=True)

    seen: list[str] = []
    cursor = None
    while True:
        page = ledger.page(RecordFilter("tn_a", before=cursor), 11)
        seen += [r["id"] for r in page]
        if len(page) < 11:
            break
        cursor = page[-1]["id"]
    assert seen == expected
    assert [r["id"] for r in ledger.iterate(RecordFilter("tn_a"))] == expected[::-1]


def test_filters_select_exactly_the_matching_records(tmp_path: Path):
    records = varied(500)
    ledger = Ledger(tmp_path, segment_records=50)
    write_in_batches(ledger, records, 50)
    start, end = T0 + timedelta(hours=20, minutes=17), T0 + timedelta(days=1, hours=3, minutes=41)
    cases = [
        (RecordFilter("tn_a", feature="search"), lambda r: r["feature"] == "search"),
        (RecordFilter("tn_a", feature="(untagged)"), lambda r: r["feature"] is None),
        (RecordFilter("tn_a", provider="anthropic"), lambda r: r["provider"] == "anthropic"),
        (RecordFilter("tn_a", model="llama-3.1-8b"), lambda r: r["model"] == "llama-3.1-8b"),
        (RecordFilter("tn_a", status="ok"), lambda r: r["status"] == 200),
        (RecordFilter("tn_a", status="error"), lambda r: r["status"] != 200),
        (RecordFilter("tn_a", status="429"), lambda r: r["status"] == 429),
        (RecordFilter("tn_a", cache_status="hit"), lambda r: r.get("cache_status") == "hit"),
        (RecordFilter("tn_a", start=start, end=end), lambda r: start <= created(r) < end),
        (
            RecordFilter("tn_b", provider="openai", status="ok"),
            lambda r: r["provider"] == "openai" and r["status"] == 200,
        ),
    ]
    for wanted, predicate in cases:
        expected = sorted(r["id"] for r in records if r["tenant_id"] == wanted.tenant_id and predicate(r))
        assert expected, wanted
        assert [r["id"] for r in ledger.iterate(wanted)] == expected, wanted
        assert [r["id"] for r in ledger.page(wanted, 1000)] == expected[::-1], wanted


def test_get_finds_a_record_by_id_only_in_its_tenant(tmp_path: Path):
    records = varied(200)
    ledger = Ledger(tmp_path, segment_records=30)
    write_in_batches(ledger, records, 20)
    for one in records[::13]:
        assert ledger.get(one["tenant_id"], one["id"])["id"] == one["id"]
        other = "tn_b" if one["tenant_id"] == "tn_a" else "tn_a"
        assert ledger.get(other, one["id"]) is None
    assert ledger.get("tn_a", "req_zzzzzzzzzz") is None


def test_a_corrupt_segment_is_moved_aside_and_the_rest_loads(tmp_path: Path):
    ledger = Ledger(tmp_path, segment_records=5)
    write_in_batches(ledger, [record(T0 + timedelta(minutes=i)) for i in range(12)], 4)
    victim = sorted((tmp_path / "2026-06-01").glob("seg-*.json"))[-1]  # unsealed: no catalog entry
    lost = len(json.loads(victim.read_text())["requests"])
    victim.write_text("{garbage")
    reopened = Ledger(tmp_path, segment_records=5)
    assert len(reopened.query("tn_a", limit=50)) == 12 - lost
    assert victim.with_suffix(".corrupt").exists()


def test_queued_records_are_batched_and_a_clean_close_writes_them_all(tmp_path: Path):
    async def scenario() -> None:
        ledger = Ledger(tmp_path, batch_wait=5)
        ledger.start()
        for i in range(120):
            ledger.record(record(T0 + timedelta(seconds=i)))
        await ledger.close()

    asyncio.run(scenario())
    assert len(ids_on_disk(tmp_path)) == 120
    assert len(list(tmp_path.glob("*/seg-*.json"))) == 1  # one batch, one segment write


def test_flush_returns_under_steady_load(tmp_path: Path):
    async def scenario() -> int:
        ledger = Ledger(tmp_path, batch_wait=0.01)
        ledger.start()
        stop = asyncio.Event()

        async def load() -> None:
            i = 0
            while not stop.is_set():
                ledger.record(record(T0 + timedelta(milliseconds=i)))
                i += 1
                await asyncio.sleep(0)

        producer = asyncio.create_task(load())
        await asyncio.sleep(0.05)
        ledger.record(mine := record(T0 + timedelta(days=2)))
        await asyncio.wait_for(ledger.flush(), 3)
        found = ledger.get("tn_a", mine["id"])
        stop.set()
        await producer
        await ledger.close()
        return 0 if found is None else 1

    assert asyncio.run(scenario()) == 1


def test_rollups_after_a_restart_equal_the_records_even_with_a_tampered_catalog(tmp_path: Path):
    from killtoken_proxy.reports.summary import breakdown
    from killtoken_proxy.reports.timerange import TimeRange

    records = varied(500)
    odd = TimeRange(T0 + timedelta(hours=5, minutes=13), T0 + timedelta(days=1, hours=19, minutes=41))

    def numbers(ledger: Ledger) -> list[dict[str, Any]]:
        return [breakdown(ledger, "tn_a", when).total.public() for when in (odd, TimeRange(None, None))]

    first = Ledger(tmp_path, segment_records=40)
    write_in_batches(first, records, 30)
    expected = numbers(first)
    first.files.close()
    assert numbers(Ledger(tmp_path, segment_records=40)) == expected  # day rows at start, hour rows on demand

    sealed = sorted((tmp_path / "2026-06-02").glob("seg-*.json"))[0]
    sealed.write_text(sealed.read_text() + " ")  # no longer the file its catalog entry describes
    assert numbers(Ledger(tmp_path, segment_records=40)) == expected
