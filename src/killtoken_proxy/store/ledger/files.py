"""The ledger on disk: day folders of bounded TinyDB segments, their catalogs, and the in-memory indexes.

Layout: `ledger/YYYY-MM-DD/seg-NNNNNNN.json` (TinyDB, table `requests`) and `ledger/YYYY-MM-DD/index.json`
(sealed segments' bounds and rollup rows). Every file is replaced atomically; a segment is written by
one batch at a time, so a crash leaves each file either before or after that batch, never torn.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from killtoken_proxy.money import money_text
from killtoken_proxy.store.ledger.filters import RecordFilter
from killtoken_proxy.store.ledger.records import Record, day_of, spend_of
from killtoken_proxy.store.ledger.repeats import RepeatTracker
from killtoken_proxy.store.ledger.rollups import Dims, Rollups, fold
from killtoken_proxy.store.ledger.segment import (
    ActiveSegment,
    SegmentInfo,
    catalog_entry,
    from_catalog_entry,
    load_records,
    read_catalog,
    segment_path,
    seq_of,
    sort_by_id,
    write_catalog,
)
from killtoken_proxy.store.ledger.totals import Totals

log = logging.getLogger("killtoken.ledger")

SEAL_GRACE = timedelta(minutes=15)  # a day's segment stays open this long after midnight for late calls
SEGMENT_CACHE = 8  # sealed segments kept parsed in memory for paging


@dataclass(frozen=True)
class LedgerLimits:
    segment_records: int = 1000
    segment_bytes: int = 1 << 20
    repeat_ttl: float = 3600.0


class LedgerFiles:
    def __init__(self, folder: Path, limits: LedgerLimits | None = None) -> None:
        self.folder = folder
        self.limits = limits or LedgerLimits()
        self.rollups = Rollups()
        self.repeats = RepeatTracker(self.limits.repeat_ttl)
        self._sealed: dict[Path, SegmentInfo] = {}
        self._active: dict[str, ActiveSegment] = {}  # day -> its open segment
        self._next_seq = 1
        self._lock = threading.RLock()
        self._cache: OrderedDict[Path, list[Record]] = OrderedDict()
        self._cache_lock = threading.Lock()
        self._loaded = False

    # -- start-up ----------------------------------------------------------------------------------
    def load(self) -> None:
        with self._lock:
            if self._loaded:
                return
            self.folder.mkdir(parents=True, exist_ok=True)
            for stray in self.folder.glob("*/.*"):  # temp files of a write cut short by a crash
                stray.unlink(missing_ok=True)
            for day_dir in sorted(p for p in self.folder.iterdir() if p.is_dir()):
                self._load_day(day_dir)
            self._rebuild_repeats()
            self._loaded = True

    def _load_day(self, day_dir: Path) -> None:
        catalog = read_catalog(day_dir)
        unsealed: list[Path] = []
        for path in sorted(day_dir.glob("seg-*.json")):
            self._next_seq = max(self._next_seq, seq_of(path) + 1)
            entry = catalog.get(path.stem)
            if isinstance(entry, dict) and entry.get("size") == path.stat().st_size:
                info, rows = from_catalog_entry(path, entry)
                self._sealed[path] = info
                self.rollups.add_rows(rows)
            else:
                unsealed.append(path)
        for path in unsealed:  # the segments that were open when the daemon stopped: summarise and seal
            try:
                segment = ActiveSegment(path)
            except ValueError:
                log.error("ledger: %s is not valid JSON; moved aside, the rest of the ledger loads", path)
                path.rename(path.with_suffix(".corrupt"))
                continue
            self.rollups.add_rows(segment.rows)
            self._seal(segment)

    def _rebuild_repeats(self) -> None:
        horizon = time.time() - self.limits.repeat_ttl - SEAL_GRACE.total_seconds()
        recent = sorted((i for i in self._sealed.values() if i.max_at >= horizon), key=lambda i: i.seq)
        for info in recent:
            for record in self.records_of(info):
                self.repeats.replay(record)

    # -- writing (the writer thread) -----------------------------------------------------------------
    def append(self, batch: list[Record]) -> list[Record]:
        """Persist a batch; returns the records that could not be written (to retry), in order."""
        self.load()
        with self._lock:
            by_day: dict[str, list[Record]] = {}
            for record in batch:
                self._annotate(record)
                by_day.setdefault(day_of(record), []).append(record)
            days = list(by_day)
            for index, day in enumerate(days):
                records = by_day[day]
                segment = self._segment_for(day)
                try:
                    segment.append(records)
                except Exception:
                    log.exception("ledger: writing %d records to %s failed; kept for retry", len(records), segment.path)
                    return [r for d in days[index:] for r in by_day[d]]
                self.rollups.add_rows(fold(records))
                if segment.size >= self.limits.segment_bytes or len(segment.records) >= self.limits.segment_records:
                    self._seal(segment)
            self._seal_finished_days(keep=set(days))
            return []

    def _annotate(self, record: Record) -> None:
        """Fields the ledger derives: what the record cost as spend, and whether a cache would have served it."""
        record["spend_usd"] = money_text(spend_of(record))
        repeat_of = self.repeats.observe(record)
        if repeat_of is not None:
            record["repeat_of"] = repeat_of

    def _segment_for(self, day: str) -> ActiveSegment:
        segment = self._active.get(day)
        if segment is None:
            segment = ActiveSegment(segment_path(self.folder, day, self._next_seq))
            self._next_seq += 1
            self._active[day] = segment
        return segment

    def _seal(self, segment: ActiveSegment) -> None:
        """Freeze a segment: record it in its day's catalog; later batches go to a new segment."""
        info = segment.info()
        day_dir = segment.path.parent
        if info.count:
            catalog = read_catalog(day_dir)
            catalog[segment.path.stem] = catalog_entry(info, segment.rows)
            try:
                write_catalog(day_dir, catalog)
            except OSError:
                # The segment itself is safe; without its catalog entry the next start-up re-reads it.
                log.exception("ledger: could not update %s", day_dir / "index.json")
            self._sealed[segment.path] = info
            self._remember(segment.path, segment.sorted_records())
        segment.close()
        if self._active.get(info.day) is segment:
            del self._active[info.day]

    def _seal_finished_days(self, keep: set[str]) -> None:
        """Seal the open segments of past days that this batch did not write to (late calls are rare)."""
        today = (datetime.now(UTC) - SEAL_GRACE).strftime("%Y-%m-%d")
        for day in [d for d in self._active if d < today and d not in keep]:
            self._seal(self._active[day])

    def close(self) -> None:
        """Seal what is open, so the next start-up reads catalogs only."""
        with self._lock:
            for segment in list(self._active.values()):
                self._seal(segment)

    # -- reading -------------------------------------------------------------------------------------
    def select(
        self, tenant_id: str, start: datetime | None, end: datetime | None, visit: Callable[[str, Dims, Totals], None]
    ) -> list[tuple[datetime, datetime]]:
        """Visit the rollup rows covering [start, end) under the lock (the writer merges into them);
        returns the partial-hour gaps the caller must fold from records."""
        self.load()
        with self._lock:
            selection = self.rollups.select(tenant_id, start, end)
            for bucket, dims, totals in selection.rows:
                visit(bucket, dims, totals)
        return selection.gaps

    def segments(self, wanted: RecordFilter) -> list[SegmentInfo]:
        self.load()
        with self._lock:
            infos = [*self._sealed.values(), *(s.info() for s in self._active.values())]
        return [info for info in infos if wanted.may_match(info)]

    def records_of(self, info: SegmentInfo) -> list[Record]:
        """A segment's records sorted by id (oldest first)."""
        with self._lock:
            for segment in self._active.values():
                if segment.path == info.path:
                    return segment.sorted_records()
        with self._cache_lock:
            cached = self._cache.get(info.path)
            if cached is not None:
                self._cache.move_to_end(info.path)
                return cached
        records = sort_by_id(load_records(info.path))
        self._remember(info.path, records)
        return records

    def _remember(self, path: Path, records: list[Record]) -> None:
        with self._cache_lock:
            self._cache[path] = records
            self._cache.move_to_end(path)
            while len(self._cache) > SEGMENT_CACHE:
                self._cache.popitem(last=False)

    def matching(self, wanted: RecordFilter, infos: list[SegmentInfo]) -> Iterator[Record]:
        for info in infos:
            for record in self.records_of(info):
                if wanted.matches(record):
                    yield record

    @property
    def record_count(self) -> int:
        self.load()
        with self._lock:
            return sum(i.count for i in self._sealed.values()) + sum(len(s.records) for s in self._active.values())

    @property
    def segment_count(self) -> int:
        with self._lock:
            return len(self._sealed) + len(self._active)
