"""The analytics summary: totals, spend, savings, per feature, per provider/model, errors, cache opportunity.

Built from the rollups for whole hours and days; only partial hours at the edges of an explicit
`from`/`to` are folded from the records themselves, with the same `Totals.add`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from killtoken_proxy.reports.timerange import TimeRange
from killtoken_proxy.store.ledger import Ledger, RecordFilter
from killtoken_proxy.store.ledger.rollups import Dims, fold, rollup_dims
from killtoken_proxy.store.ledger.totals import Totals

K = TypeVar("K")


@dataclass
class Breakdown:
    """One report's numbers grouped every way the reports show them."""

    total: Totals = field(default_factory=Totals)
    features: dict[str, Totals] = field(default_factory=dict)
    models: dict[tuple[str, str], Totals] = field(default_factory=dict)
    days: dict[str, Totals] = field(default_factory=dict)
    day_features: dict[tuple[str, str], Totals] = field(default_factory=dict)
    templates: dict[str, Totals] = field(default_factory=dict)  # "name@version" -> totals

    def add(self, bucket: str, dims: Dims, totals: Totals) -> None:
        feature, provider, model, template = dims
        day = bucket[:10]
        self.total.merge(totals)
        _merge(self.features, feature, totals)
        _merge(self.models, (provider, model), totals)
        _merge(self.days, day, totals)
        _merge(self.day_features, (day, feature), totals)
        if template:
            _merge(self.templates, template, totals)


def _merge(group: dict[K, Totals], key: K, totals: Totals) -> None:
    mine = group.get(key)
    if mine is None:
        mine = group[key] = Totals()
    mine.merge(totals)


def breakdown(ledger: Ledger, tenant_id: str, when: TimeRange, feature: str | None = None) -> Breakdown:
    out = Breakdown()

    def visit(bucket: str, dims: Dims, totals: Totals) -> None:
        if feature is None or dims[0] == feature:
            out.add(bucket, dims, totals)

    for start, end in ledger.files.select(tenant_id, when.start, when.end, visit):
        records = list(ledger.iterate(RecordFilter(tenant_id, feature=feature, start=start, end=end)))
        for (_tenant, hour, *dims), totals in fold(records).items():
            out.add(hour, rollup_dims(dims), totals)
    return out


def _by_spend(items: dict[Any, Totals]) -> list[tuple[Any, Totals]]:
    return sorted(items.items(), key=lambda kv: (-kv[1].spend, -kv[1].requests, str(kv[0])))


def summary_json(parts: Breakdown, when: TimeRange, ttl_seconds: float) -> dict[str, Any]:
    whole = parts.total.public()
    return {
        **when.public(),
        "generatedAt": datetime.now(UTC).isoformat(),
        "currency": "USD",
        "totals": {k: v for k, v in whole.items() if k not in ("savings", "errors", "cacheStatus", "cacheOpportunity")},
        "savings": whole["savings"],
        "errors": {**whole["errors"], "byStatus": whole["statuses"]},
        "cacheStatus": whole["cacheStatus"],
        "features": [{"feature": name, **totals.public()} for name, totals in _by_spend(parts.features)],
        "models": [
            {"provider": provider, "model": model, **totals.public()}
            for (provider, model), totals in _by_spend(parts.models)
        ],
        "templates": templates_json(parts),
        "cacheOpportunity": {
            "ttlSeconds": ttl_seconds,
            **parts.total.opportunity(),
            "features": [
                {"feature": name, **totals.opportunity()}
                for name, totals in sorted(parts.features.items(), key=lambda kv: (-kv[1].repeat_spend, kv[0]))
                if totals.repeats
            ],
        },
    }


def split_template_labels(templates: dict[str, Totals]) -> list[tuple[str, int | None, Totals]]:
    """(name, version, totals) per `name@version` rollup label, most spend first."""
    out: list[tuple[str, int | None, Totals]] = []
    for label, totals in _by_spend(templates):
        name, _, version = label.rpartition("@")
        out.append((name, int(version), totals) if version.isdigit() and name else (label, None, totals))
    return out


def templates_json(parts: Breakdown) -> list[dict[str, Any]]:
    """Per template version: the requests built from it, and what they cost and saved."""
    return [
        {"template": name, "version": version, **totals.public()}
        for name, version, totals in split_template_labels(parts.templates)
    ]


def daily_json(parts: Breakdown) -> list[dict[str, Any]]:
    """Per UTC day: the day's totals and each feature's, for charts and spreadsheets."""
    out = []
    for day in sorted(parts.days):
        features = {f: t.public() for (d, f), t in sorted(parts.day_features.items()) if d == day}
        out.append({"date": day, **parts.days[day].public(), "features": features})
    return out
