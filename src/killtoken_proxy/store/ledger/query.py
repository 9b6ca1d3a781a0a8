"""Reading records back: one page newest first, one record by id, or every match oldest first (exports).

Segments hold records in write order, which is nearly but not exactly id order (a slow call is written
after faster ones that started later), so pages and exports merge segments by id instead of trusting it.
"""

from __future__ import annotations

import bisect
import heapq
from collections.abc import Iterator

from killtoken_proxy.store.ledger.files import LedgerFiles
from killtoken_proxy.store.ledger.filters import RecordFilter
from killtoken_proxy.store.ledger.records import Record


def _id(record: Record) -> str:
    return str(record.get("id"))


def page(files: LedgerFiles, wanted: RecordFilter, limit: int) -> list[Record]:
    """The `limit` newest matching records (ids below `wanted.before`), newest first."""
    infos = sorted(files.segments(wanted), key=lambda i: i.max_id, reverse=True)
    best: list[Record] = []
    for info in infos:
        if len(best) >= limit and info.max_id < _id(best[-1]):
            break  # every later segment only holds older records than the ones we keep
        found = 0
        for record in reversed(files.records_of(info)):
            if wanted.matches(record):
                best.append(record)
                found += 1
                if found >= limit:
                    break
        best.sort(key=_id, reverse=True)
        del best[limit:]
    return best


def get(files: LedgerFiles, tenant_id: str, request_id: str) -> Record | None:
    for info in files.segments(RecordFilter(tenant_id)):
        if not info.min_id <= request_id <= info.max_id:
            continue
        records = files.records_of(info)
        ids = [_id(r) for r in records]
        at = bisect.bisect_left(ids, request_id)
        if at < len(records) and ids[at] == request_id and records[at].get("tenant_id") == tenant_id:
            return records[at]
    return None


def iterate(files: LedgerFiles, wanted: RecordFilter) -> Iterator[Record]:
    """Every matching record, oldest first, holding only the overlap between neighbouring segments."""
    pending: list[Record] = []
    for info in sorted(files.segments(wanted), key=lambda i: i.min_id):
        ready = bisect.bisect_left([_id(r) for r in pending], info.min_id)
        yield from pending[:ready]
        rest = pending[ready:]
        batch = [r for r in files.records_of(info) if wanted.matches(r)]
        pending = list(heapq.merge(rest, batch, key=_id)) if rest else batch
    yield from pending


def count_upper_bound(files: LedgerFiles, wanted: RecordFilter) -> int:
    """Records in the segments that may match: a cheap upper bound (it sizes export progress bars)."""
    return sum(info.count for info in files.segments(wanted))
