"""One ledger segment: a small TinyDB file of records for one UTC day, and what queries know about it.

A segment is rewritten whole on each batch (TinyDB's way), so its size bound is what keeps a write's
cost flat. Once full (or its day is over) it is sealed: never written again, and summarised in its
day's catalog (`catalog.py`) so start-up and queries need not open it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tinydb import TinyDB

from killtoken_proxy.store.atomic_storage import AtomicJSONStorage
from killtoken_proxy.store.ledger.append_storage import AppendOnlyJSONStorage
from killtoken_proxy.store.ledger.records import Record, created
from killtoken_proxy.store.ledger.rollups import RowKey, fold
from killtoken_proxy.store.ledger.totals import Totals

Dim = tuple[str, str, str, str]  # tenant, feature, provider, model


def segment_path(folder: Path, day: str, seq: int) -> Path:
    return folder / day / f"seg-{seq:07d}.json"


def seq_of(path: Path) -> int:
    return int(path.stem.removeprefix("seg-"))


@dataclass(frozen=True)
class SegmentInfo:
    """What queries need to know about a segment without opening it."""

    path: Path
    seq: int
    day: str
    count: int
    size: int
    min_id: str
    max_id: str
    min_at: float
    max_at: float
    dims: frozenset[Dim]
    tags: frozenset[tuple[str, str]]  # (tenant, "ok" | "error" | "status:429" | "cache:hit")


def describe(path: Path, records: list[Record], rows: dict[RowKey, Totals], size: int) -> SegmentInfo:
    ids = [str(r.get("id")) for r in records]
    times = [created(r).timestamp() for r in records]
    dims: set[Dim] = set()
    tags: set[tuple[str, str]] = set()
    for (tenant, _hour, feature, provider, model, _template), totals in rows.items():
        dims.add((tenant, feature, provider, model))
        tags.update((tenant, f"status:{s}") for s in totals.statuses)
        tags.update((tenant, f"cache:{c}") for c in totals.cache)
        if totals.succeeded:
            tags.add((tenant, "ok"))
        if totals.failed:
            tags.add((tenant, "error"))
    return SegmentInfo(
        path=path,
        seq=seq_of(path),
        day=path.parent.name,
        count=len(records),
        size=size,
        min_id=min(ids, default=""),
        max_id=max(ids, default=""),
        min_at=min(times, default=0.0),
        max_at=max(times, default=0.0),
        dims=frozenset(dims),
        tags=frozenset(tags),
    )


def load_records(path: Path) -> list[Record]:
    db = TinyDB(path, storage=AtomicJSONStorage)
    try:
        return [dict(doc) for doc in db.table("requests").all()]
    finally:
        db.close()


class ActiveSegment:
    """The segment of a day that is still taking records; its records and rows are kept in memory."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = TinyDB(path, storage=AppendOnlyJSONStorage)  # inserts only: each batch encodes just itself
        self._table = self._db.table("requests")
        self.records: list[Record] = [dict(doc) for doc in self._table.all()]
        self.rows = fold(self.records)
        self.size = path.stat().st_size if path.exists() else 0
        self._info: SegmentInfo | None = None
        self._sorted: list[Record] | None = None

    def append(self, records: list[Record], rows: dict[RowKey, Totals]) -> None:
        """One atomic file replacement; raises (and keeps nothing) if the disk refuses it."""
        self._table.insert_multiple(records)
        try:
            self.size = self.path.stat().st_size
        except OSError:  # written already: never report failure now, or the batch would be retried twice
            self.size += sum(len(str(r)) for r in records)
        self.records.extend(records)
        for key, totals in rows.items():
            mine = self.rows.get(key)
            if mine is None:
                mine = self.rows[key] = Totals()
            mine.merge(totals)
        self._info = None
        self._sorted = None

    def info(self) -> SegmentInfo:
        if self._info is None:
            self._info = describe(self.path, self.records, self.rows, self.size)
        return self._info

    def sorted_records(self) -> list[Record]:
        if self._sorted is None:
            self._sorted = sorted(self.records, key=_by_id)
        return self._sorted

    def close(self) -> None:
        self._db.close()


def _by_id(record: Record) -> str:
    return str(record.get("id"))


def sort_by_id(records: list[Record]) -> list[Record]:
    return sorted(records, key=_by_id)
