"""Rollups kept as records are written: per tenant x day x feature x provider x model x template, and per hour.

A time range is answered from whole days, then whole hours at its edges; only the minutes before the
first whole hour and after the last one (if any) are left for the caller to fold from the records.
Day rows are all in memory; a day's hour rows are loaded on first use (see `catalog.py`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from killtoken_proxy.store.ledger.records import Record, feature_label, hour_of, template_label
from killtoken_proxy.store.ledger.totals import Totals

Dims = tuple[str, str, str, str]  # feature, provider, model, template ("name@version" or "")
RowKey = tuple[str, str, str, str, str, str]  # tenant, hour (YYYY-MM-DDTHH, UTC), *Dims
DayKey = tuple[str, str, str, str, str, str]  # tenant, day (YYYY-MM-DD), *Dims
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


def row_key(record: Record) -> RowKey:
    return (
        str(record.get("tenant_id") or ""),
        hour_of(record),
        feature_label(record),
        str(record.get("provider") or ""),
        str(record.get("model") or ""),
        template_label(record),
    )


def day_key(key: RowKey) -> DayKey:
    tenant, hour, feature, provider, model, template = key
    return tenant, hour[:10], feature, provider, model, template


def key_of(values: Sequence[str]) -> RowKey:
    """A row key read back from a catalog (stored as a JSON list)."""
    tenant, bucket, feature, provider, model, template = values
    return tenant, bucket, feature, provider, model, template


def fold(records: list[Record]) -> dict[RowKey, Totals]:
    rows: dict[RowKey, Totals] = {}
    for record in records:
        key = row_key(record)
        totals = rows.get(key)
        if totals is None:
            totals = rows[key] = Totals()
        totals.add(record)
    return rows


@dataclass
class Selection:
    rows: list[tuple[str, Dims, Totals]] = field(default_factory=list)  # (hour or day bucket, dims, totals)
    gaps: list[tuple[datetime, datetime]] = field(default_factory=list)  # partial hours: fold from records


class Rollups:
    def __init__(self, sealed_hours: Callable[[str], dict[RowKey, Totals]]) -> None:
        self._days: dict[str, dict[tuple[str, Dims], Totals]] = {}  # tenant -> (day, dims) -> totals
        self._hours: dict[str, dict[str, dict[tuple[str, Dims], Totals]]] = {}  # day -> tenant -> (hour, dims)
        self._sealed_hours = sealed_hours  # a day's hour rows of its sealed segments, from its catalog
        # tenant -> (provider, model) pairs with a successful call; replaced, never changed in place, so a
        # reader on another thread needs no lock (a new pair is rare: the copy costs nothing that matters)
        self._called: dict[str, frozenset[tuple[str, str]]] = {}

    def add(self, key: RowKey, totals: Totals) -> None:
        tenant, hour, feature, provider, model, template = key
        day = hour[:10]
        dims: Dims = (feature, provider, model, template)
        _merge_into(self._days.setdefault(tenant, {}), (day, dims), totals)
        _merge_into(self._day_hours(day).setdefault(tenant, {}), (hour, dims), totals)
        self._note_called(tenant, dims, totals)

    def add_rows(self, rows: dict[RowKey, Totals]) -> None:
        for key, totals in rows.items():
            self.add(key, totals)

    def add_sealed_days(self, rows: dict[DayKey, Totals]) -> None:
        """Start-up: the day rows of sealed segments (their hour rows stay on disk until needed)."""
        for (tenant, day, *dims), totals in rows.items():
            _merge_into(self._days.setdefault(tenant, {}), (day, rollup_dims(dims)), totals)
            self._note_called(tenant, rollup_dims(dims), totals)

    def _note_called(self, tenant: str, dims: Dims, totals: Totals) -> None:
        _feature, provider, model, _template = dims
        known = self._called.get(tenant, frozenset())
        if totals.succeeded and provider and model and (provider, model) not in known:
            self._called[tenant] = known | {(provider, model)}

    def called(self, tenant: str) -> frozenset[tuple[str, str]]:
        """Every (provider, model) this tenant has called successfully, as far as the ledger has written."""
        return self._called.get(tenant, frozenset())

    def _day_hours(self, day: str) -> dict[str, dict[tuple[str, Dims], Totals]]:
        hours = self._hours.get(day)
        if hours is None:
            hours = self._hours[day] = {}
            for (tenant, hour, *dims), totals in self._sealed_hours(day).items():
                _merge_into(hours.setdefault(tenant, {}), (hour, rollup_dims(dims)), totals)
        return hours

    def select(self, tenant: str, start: datetime | None, end: datetime | None) -> Selection:
        """Rows covering [start, end) exactly, plus the partial-hour gaps the rows cannot answer."""
        out = Selection()
        if start is not None and end is not None and start >= end:
            return out
        first_hour = _ceil(start, HOUR) if start is not None else None
        last_hour = _floor(end, HOUR) if end is not None else None
        if first_hour is not None and last_hour is not None and first_hour >= last_hour:
            out.gaps.append((start, end))  # type: ignore[arg-type]  # both set here
            return out
        if start is not None and first_hour is not None and start < first_hour:
            out.gaps.append((start, first_hour))
        if end is not None and last_hour is not None and last_hour < end:
            out.gaps.append((last_hour, end))
        first_day = _ceil(first_hour, DAY) if first_hour is not None else None
        last_day = _floor(last_hour, DAY) if last_hour is not None else None
        if first_day is not None and last_day is not None and first_day >= last_day:
            out.rows.extend(self._hour_rows(tenant, first_hour, last_hour))
            return out
        if first_hour is not None and first_day is not None and first_hour < first_day:
            out.rows.extend(self._hour_rows(tenant, first_hour, first_day))
        out.rows.extend(self._day_rows(tenant, first_day, last_day))
        if last_hour is not None and last_day is not None and last_day < last_hour:
            out.rows.extend(self._hour_rows(tenant, last_day, last_hour))
        return out

    def _day_rows(self, tenant: str, lo: datetime | None, hi: datetime | None) -> Iterator[tuple[str, Dims, Totals]]:
        lo_key, hi_key = _key(lo, "%Y-%m-%d"), _key(hi, "%Y-%m-%d")
        for (day, dims), totals in self._days.get(tenant, {}).items():
            if (lo_key is None or day >= lo_key) and (hi_key is None or day < hi_key):
                yield day, dims, totals

    def _hour_rows(self, tenant: str, lo: datetime | None, hi: datetime | None) -> Iterator[tuple[str, Dims, Totals]]:
        assert lo is not None and hi is not None  # hour rows only ever serve bounded edges of a range
        lo_key, hi_key = lo.astimezone(UTC).strftime("%Y-%m-%dT%H"), hi.astimezone(UTC).strftime("%Y-%m-%dT%H")
        day = _floor(lo, DAY)
        while day < hi:
            rows = self._day_hours(day.strftime("%Y-%m-%d")).get(tenant, {})
            for (hour, dims), totals in rows.items():
                if lo_key <= hour < hi_key:
                    yield hour, dims, totals
            day += DAY


def rollup_dims(values: Sequence[str]) -> Dims:
    feature, provider, model, template = values
    return feature, provider, model, template


def _merge_into(rows: dict[tuple[str, Dims], Totals], key: tuple[str, Dims], totals: Totals) -> None:
    mine = rows.get(key)
    if mine is None:
        mine = rows[key] = Totals()
    mine.merge(totals)


def _key(moment: datetime | None, fmt: str) -> str | None:
    return None if moment is None else moment.astimezone(UTC).strftime(fmt)


def _floor(moment: datetime, unit: timedelta) -> datetime:
    moment = moment.astimezone(UTC)
    if unit == DAY:
        return moment.replace(hour=0, minute=0, second=0, microsecond=0)
    return moment.replace(minute=0, second=0, microsecond=0)


def _ceil(moment: datetime, unit: timedelta) -> datetime:
    floored = _floor(moment, unit)
    return floored if floored == moment.astimezone(UTC) else floored + unit
