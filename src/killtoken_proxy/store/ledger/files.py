"""The ledger on disk: day folders of bounded TinyDB segments, their catalogs, and the in-memory indexes.

Layout: `ledger/YYYY-MM-DD/seg-NNNNNNN.json` (TinyDB, table `requests`) and `ledger/YYYY-MM-DD/index.json`
(the day's catalog: sealed segments' bounds and rollup rows). Every file is replaced atomically; a
segment is written by one batch at a time, so a crash leaves each file before or after that batch.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from killtoken_proxy.money import money_text
from killtoken_proxy.store.ledger.catalog import DayCatalog
from killtoken_proxy.store.ledger.filters import RecordFilter
from killtoken_proxy.store.ledger.records import Record, day_of, spend_of
from killtoken_proxy.store.ledger.repeats import RepeatTracker
from killtoken_proxy.store.ledger.rollups import Dims, Rollups, fold
from killtoken_proxy.store.ledger.segment import (
    ActiveSegment,
    SegmentInfo,
    load_records,
    segment_path,
    seq_of,
    sort_by_id,
)
from killtoken_proxy.store.ledger.totals import Totals

log = logging.getLogger("killtoken.ledger")

SEAL_GRACE = timedelta(minutes=15)  # a day's segment stays open this long after midnight for late calls
SEGMENT_CACHE = 8  # sealed segments kept parsed in memory for paging
CATALOG_CACHE = 3  # day catalogs kept parsed (the days being written and sealed)


@dataclass(frozen=True)
class LedgerLimits:
    segment_records: int = 1000
    segment_bytes: int = 1 << 20
    repeat_ttl: float = 3600.0


class LedgerFiles:
    def __init__(self, folder: Path, limits: LedgerLimits | None = None) -> None:
        self.folder = folder
        self.limits = limits or LedgerLimits()
        self.rollups = Rollups(lambda day: self._catalog(day).hours)
        self.repeats = RepeatTracker(self.limits.repeat_ttl)
        self._sealed: dict[Path, SegmentInfo] = {}
        self._active: dict[str, ActiveSegment] = {}  # day -> its open segment
        self._next_seq = 1
        self._lock = threading.RLock()
        self._cache: OrderedDict[Path, list[Record]] = OrderedDict()
        self._cache_lock = threading.Lock()
        self._catalogs: OrderedDict[str, DayCatalog] = OrderedDict()
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
        catalog = DayCatalog.read(day_dir)
        paths = sorted(day_dir.glob("seg-*.json"))
        listed_but_gone = any(not (day_dir / f"{stem}.json").exists() for stem in catalog.segments)
        changed_since = any(p.stem in catalog.segments and not catalog.sealed(p) for p in paths)
        rebuilt = listed_but_gone or changed_since
        if rebuilt:
            log.warning("ledger: %s does not match its segments; summarising the day again", day_dir)
            catalog = DayCatalog(day_dir)
        self._catalogs[day_dir.name] = catalog
        self._trim_catalogs()
        for info in catalog.infos():
            self._sealed[info.path] = info
        self.rollups.add_sealed_days(catalog.days)
        for path in paths:
            self._next_seq = max(self._next_seq, seq_of(path) + 1)
            if path.stem in catalog.segments:
                continue
            try:  # open when the daemon stopped: summarise and seal it now
                segment = ActiveSegment(path)
            except ValueError:
                log.error("ledger: %s is not valid JSON; moved aside, the rest of the ledger loads", path)
                path.rename(path.with_suffix(".corrupt"))
                continue
            self.rollups.add_rows(segment.rows)
            self._seal(segment)
        if rebuilt:
            catalog.write()  # even when no segment is left, so the stale catalog is gone for good

    def _rebuild_repeats(self) -> None:
        horizon = time.time() - self.limits.repeat_ttl - SEAL_GRACE.total_seconds()
        recent = sorted((i for i in self._sealed.values() if i.max_at >= horizon), key=lambda i: i.seq)
        for info in recent:
            for record in load_records(info.path):  # write order, as when the records were first judged
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
            pending = [(day, records) for day, records in by_day.items()]
            while pending:
                day, records = pending[0]
                segment = self._segment_for(day)
                room = self._room(segment, records[0])
                if room == 0:  # full already (e.g. bounds lowered since it was opened)
                    self._seal(segment)
                    continue
                chunk = records[:room]
                rows = fold(chunk)
                try:
                    segment.append(chunk, rows)
                except Exception:
                    log.exception("ledger: writing %d records to %s failed; kept for retry", len(chunk), segment.path)
                    return [r for _, rest in pending for r in rest]
                self.rollups.add_rows(rows)
                if self._room(segment, records[0]) == 0:
                    self._seal(segment)
                if len(chunk) < len(records):
                    pending[0] = (day, records[room:])
                else:
                    pending.pop(0)
            self._seal_finished_days(keep=set(by_day))
            return []

    def _room(self, segment: ActiveSegment, sample: Record) -> int:
        """How many more records the segment takes before its record or byte bound (never 0 when empty)."""
        count = len(segment.records)
        by_count = self.limits.segment_records - count
        average = segment.size / count if count else len(json.dumps(sample, default=str)) + 8
        by_bytes = int((self.limits.segment_bytes - segment.size) // max(average, 1.0))
        room = max(min(by_count, by_bytes), 0)
        return room if count else max(room, 1)

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
        """Freeze a segment: add it to its day's catalog; later batches go to a new segment."""
        info = segment.info()
        if info.count:
            catalog = self._catalog(info.day)
            catalog.add(info, segment.rows)
            try:
                catalog.write()
            except OSError:
                # The segment itself is safe; without its catalog entry the next start-up re-reads it.
                log.exception("ledger: could not update the catalog of %s", info.day)
            self._sealed[segment.path] = info
            self._remember(segment.path, segment.sorted_records())
        segment.close()
        if self._active.get(info.day) is segment:
            del self._active[info.day]

    def _catalog(self, day: str) -> DayCatalog:
        catalog = self._catalogs.get(day)
        if catalog is None:
            catalog = self._catalogs[day] = DayCatalog.read(self.folder / day)
        self._catalogs.move_to_end(day)
        self._trim_catalogs()
        return catalog

    def _trim_catalogs(self) -> None:
        while len(self._catalogs) > CATALOG_CACHE:
            self._catalogs.popitem(last=False)

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
