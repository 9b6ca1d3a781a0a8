"""Which records a history query, export or report wants, and which segments can hold any of them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from killtoken_proxy.store.ledger.records import Record, created, feature_label, succeeded, template_label
from killtoken_proxy.store.ledger.segment import SegmentInfo

CACHE_STATUSES = ("bypass", "miss", "hit", "write")


@dataclass(frozen=True)
class RecordFilter:
    tenant_id: str
    feature: str | None = None  # "(untagged)" selects records without a feature tag
    provider: str | None = None
    model: str | None = None
    status: str | None = None  # "ok", "error", or an HTTP status code such as "429"
    cache_status: str | None = None
    start: datetime | None = None  # inclusive, on created_at
    end: datetime | None = None  # exclusive
    before: str | None = None  # request-id cursor, exclusive (ids sort by time)
    after: str | None = None
    template: str | None = None  # a template's name or id, any version; `name@3` for one version

    def matches(self, record: Record) -> bool:
        if record.get("tenant_id") != self.tenant_id:
            return False
        if self.feature is not None and feature_label(record) != self.feature:
            return False
        if self.provider is not None and record.get("provider") != self.provider:
            return False
        if self.model is not None and record.get("model") != self.model:
            return False
        if self.cache_status is not None and record.get("cache_status") != self.cache_status:
            return False
        if self.template is not None and not self._template_matches(record):
            return False
        if self.status is not None and not self._status_matches(record):
            return False
        rid = str(record.get("id"))
        if (self.before is not None and rid >= self.before) or (self.after is not None and rid <= self.after):
            return False
        if self.start is not None or self.end is not None:
            at = created(record)
            if (self.start is not None and at < self.start) or (self.end is not None and at >= self.end):
                return False
        return True

    def _template_matches(self, record: Record) -> bool:
        wanted = str(self.template)
        if wanted == template_label(record):
            return True
        return wanted in (record.get("template_name"), record.get("template_id"))

    def _status_matches(self, record: Record) -> bool:
        if self.status == "ok":
            return succeeded(record)
        if self.status == "error":
            return not succeeded(record)
        return str(record.get("status")) == self.status

    def may_match(self, info: SegmentInfo) -> bool:
        """False only when the segment certainly holds no matching record."""
        if info.count == 0:
            return False
        if (self.before is not None and info.min_id >= self.before) or (
            self.after is not None and info.max_id <= self.after
        ):
            return False
        if (self.start is not None and info.max_at < self.start.timestamp()) or (
            self.end is not None and info.min_at >= self.end.timestamp()
        ):
            return False
        if not any(self._dim_matches(dim) for dim in info.dims):
            return False
        if self.status is not None:
            tag = self.status if self.status in ("ok", "error") else f"status:{self.status}"
            if (self.tenant_id, tag) not in info.tags:
                return False
        return self.cache_status is None or (self.tenant_id, f"cache:{self.cache_status}") in info.tags

    def _dim_matches(self, dim: tuple[str, str, str, str]) -> bool:
        tenant, feature, provider, model = dim
        return (
            tenant == self.tenant_id
            and (self.feature is None or feature == self.feature)
            and (self.provider is None or provider == self.provider)
            and (self.model is None or model == self.model)
        )
