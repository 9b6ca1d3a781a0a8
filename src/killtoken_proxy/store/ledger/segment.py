"""One ledger segment: a small TinyDB file of records for one UTC day, and its catalog entry.

A segment is rewritten whole on each batch (TinyDB's way), so its size bound is what keeps a write's
cost flat. Once full (or its day is over) it is sealed: never written again, and summarised in its
day's `index.json` (bounds, rollup rows) so start-up and queries need not open it.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tinydb import TinyDB

from killtoken_proxy.store.atomic_storage import AtomicJSONStorage, write_json_atomically
from killtoken_proxy.store.ledger.records import Record, created
from killtoken_proxy.store.ledger.rollups import RowKey, fold
from killtoken_proxy.store.ledger.totals import Totals

log = logging.getLogger("killtoken.ledger")

CATALOG = "index.json"
CATALOG_VERSION = 1
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
    for (tenant, _hour, feature, provider, model), totals in rows.items():
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
        self._db = TinyDB(path, storage=AtomicJSONStorage)
        self._table = self._db.table("requests")
        self.records: list[Record] = [dict(doc) for doc in self._table.all()]
        self.rows = fold(self.records)
        self.size = path.stat().st_size if path.exists() else 0
        self._info: SegmentInfo | None = None
        self._sorted: list[Record] | None = None

    def append(self, records: list[Record]) -> None:
        """One atomic file replacement; raises (and keeps nothing) if the disk refuses it."""
        self._table.insert_multiple(records)
        try:
            self.size = self.path.stat().st_size
        except OSError:  # written already: never report failure now, or the batch would be retried twice
            self.size += sum(len(str(r)) for r in records)
        self.records.extend(records)
        for key, totals in fold(records).items():
            mine = self.rows.get(key)
            if mine is None:
                self.rows[key] = totals
            else:
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


# -- the per-day catalog of sealed segments ------------------------------------------------------------
def catalog_entry(info: SegmentInfo, rows: dict[RowKey, Totals]) -> dict[str, Any]:
    return {
        "size": info.size,
        "count": info.count,
        "min_id": info.min_id,
        "max_id": info.max_id,
        "min_at": info.min_at,
        "max_at": info.max_at,
        "rows": [[*key, totals.to_doc()] for key, totals in rows.items()],
    }


def from_catalog_entry(path: Path, entry: dict[str, Any]) -> tuple[SegmentInfo, dict[RowKey, Totals]]:
    rows: dict[RowKey, Totals] = {}
    for tenant, hour, feature, provider, model, doc in entry["rows"]:
        rows[(tenant, hour, feature, provider, model)] = Totals.from_doc(doc)
    info = describe(path, [], rows, int(entry["size"]))
    info = SegmentInfo(
        path=path,
        seq=info.seq,
        day=info.day,
        count=int(entry["count"]),
        size=info.size,
        min_id=str(entry["min_id"]),
        max_id=str(entry["max_id"]),
        min_at=float(entry["min_at"]),
        max_at=float(entry["max_at"]),
        dims=info.dims,
        tags=info.tags,
    )
    return info, rows


def read_catalog(day_dir: Path) -> dict[str, Any]:
    path = day_dir / CATALOG
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError):
        log.warning("ledger: %s is unreadable; its segments will be summarised again", path)
        return {}
    if not isinstance(doc, dict) or doc.get("version") != CATALOG_VERSION:
        return {}
    segments = doc.get("segments")
    return segments if isinstance(segments, dict) else {}


def write_catalog(day_dir: Path, segments: dict[str, Any]) -> None:
    write_json_atomically(day_dir / CATALOG, {"version": CATALOG_VERSION, "segments": segments})
