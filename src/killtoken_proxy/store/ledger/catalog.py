"""A day's catalog (`index.json`): its sealed segments, and the rollup rows of all of them.

Start-up reads only the segment bounds and the day rows; the hour rows (needed when a report starts or
ends mid-day) are read on first use. A segment is sealed exactly when the catalog lists it with its
current file size; the catalog is one file replaced atomically, so it is never half-updated.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from killtoken_proxy.store.atomic_storage import write_json_atomically
from killtoken_proxy.store.ledger.rollups import DayKey, RowKey, day_key, key_of
from killtoken_proxy.store.ledger.segment import SegmentInfo, seq_of
from killtoken_proxy.store.ledger.totals import Totals

log = logging.getLogger("killtoken.ledger")

CATALOG = "index.json"
VERSION = 3  # 3: rows carry the template; an older catalog is rebuilt from its segments


class DayCatalog:
    def __init__(self, day_dir: Path) -> None:
        self.dir = day_dir
        self.segments: dict[str, dict[str, Any]] = {}  # segment file stem -> bounds and pruning keys
        self.days: dict[DayKey, Totals] = {}
        self._hours: dict[RowKey, Totals] | None = {}
        self._hour_docs: list[Any] = []

    @classmethod
    def read(cls, day_dir: Path) -> DayCatalog:
        """The catalog on disk; an empty one if it is missing or cannot be trusted (then segments are re-read)."""
        catalog = cls(day_dir)
        path = day_dir / CATALOG
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return catalog
        except (OSError, ValueError):
            log.warning("ledger: %s is unreadable; the day's segments will be summarised again", path)
            return catalog
        if not isinstance(doc, dict) or doc.get("version") != VERSION:
            return catalog
        catalog.segments = dict(doc["segments"])
        catalog.days = {key_of(row[:-1]): Totals.from_doc(row[-1]) for row in doc["days"]}
        catalog._hours, catalog._hour_docs = None, doc["hours"]  # parsed on first use
        return catalog

    @property
    def hours(self) -> dict[RowKey, Totals]:
        if self._hours is None:
            self._hours = {key_of(row[:-1]): Totals.from_doc(row[-1]) for row in self._hour_docs}
            self._hour_docs = []
        return self._hours

    def sealed(self, path: Path) -> bool:
        entry = self.segments.get(path.stem)
        return entry is not None and entry.get("size") == path.stat().st_size

    def add(self, info: SegmentInfo, rows: dict[RowKey, Totals]) -> None:
        self.segments[info.path.stem] = {
            "size": info.size,
            "count": info.count,
            "min_id": info.min_id,
            "max_id": info.max_id,
            "min_at": info.min_at,
            "max_at": info.max_at,
            "dims": sorted(info.dims),
            "tags": sorted(info.tags),
        }
        hours = self.hours
        for key, totals in rows.items():
            _merge(hours, key, totals)
            _merge(self.days, day_key(key), totals)

    def write(self) -> None:
        write_json_atomically(
            self.dir / CATALOG,
            {
                "version": VERSION,
                "segments": self.segments,
                "days": [[*key, totals.to_doc()] for key, totals in self.days.items()],
                "hours": [[*key, totals.to_doc()] for key, totals in self.hours.items()],
            },
        )

    def infos(self) -> list[SegmentInfo]:
        return [_info(self.dir / f"{stem}.json", entry) for stem, entry in self.segments.items()]


def _merge(rows: dict[Any, Totals], key: Any, totals: Totals) -> None:
    mine = rows.get(key)
    if mine is None:
        mine = rows[key] = Totals()
    mine.merge(totals)


def _info(path: Path, entry: dict[str, Any]) -> SegmentInfo:
    return SegmentInfo(
        path=path,
        seq=seq_of(path),
        day=path.parent.name,
        count=int(entry["count"]),
        size=int(entry["size"]),
        min_id=str(entry["min_id"]),
        max_id=str(entry["max_id"]),
        min_at=float(entry["min_at"]),
        max_at=float(entry["max_at"]),
        dims=frozenset((t, f, p, m) for t, f, p, m in entry["dims"]),
        tags=frozenset((t, tag) for t, tag in entry["tags"]),
    )
