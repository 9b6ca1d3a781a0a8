"""Reports agree to the cent: analytics summary = GET /v1/requests = the CSV export = the ROI report."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from killtoken_proxy.reports.csv_export import HEADER
from killtoken_proxy.settings import Settings
from tests.conftest import bootstrap, free_port
from tests.fakes.ledger_records import T0, record, varied
from tests.fakes.live_app import seed_ledger, serving, tenant_ids

D = Decimal


@dataclass
class Seeded:
    url: str
    key: str
    records: list[dict[str, Any]]  # the calling tenant's records, as generated

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers={"Authorization": f"Bearer {self.key}"}, timeout=30)


@pytest.fixture
def seeded(settings: Settings) -> Iterator[Seeded]:
    key = bootstrap(settings)
    ids = tenant_ids(settings, "default", "other")
    records = varied(1500)
    for r in records:
        r["tenant_id"] = ids["default"] if r["tenant_id"] == "tn_a" else ids["other"]
    live = settings.replace(port=free_port(), ledger_segment_records=60)
    seed_ledger(live, records)
    with serving(live) as url:
        yield Seeded(url, key, [r for r in records if r["tenant_id"] == ids["default"]])


def billed(r: dict[str, Any]) -> bool:
    return r["status"] == 200 and not r.get("replay") and r.get("cache_status") != "hit"


def expected_totals(records: list[dict[str, Any]]) -> dict[str, Any]:
    """Hand-computed from the generated records, independently of the gateway's code."""
    paid = [r for r in records if billed(r)]
    ok = [r for r in records if r["status"] == 200]
    return {
        "requests": len(records),
        "spend": sum((D(r["cost_usd"]) for r in paid if r["cost_usd"] is not None), D(0)),
        "unpriced": sum(1 for r in paid if r["cost_usd"] is None),
        "verified": sum((D(r["verified_savings_usd"]) for r in ok), D(0)),
        "estimated": sum((D(r["estimated_savings_usd"]) for r in ok), D(0)),
        "prompt_tokens": sum(r["prompt_tokens"] for r in paid),
        "errors": sum(1 for r in records if r["status"] != 200),
    }


def in_range(records: list[dict[str, Any]], start: str | None, end: str | None) -> list[dict[str, Any]]:
    from killtoken_proxy.reports.timerange import parse_moment
    from killtoken_proxy.store.ledger.records import created

    lo = parse_moment(start, "from") if start else None
    hi = parse_moment(end, "to") if end else None
    return [r for r in records if (lo is None or created(r) >= lo) and (hi is None or created(r) < hi)]


def all_pages(http: httpx.Client, params: dict[str, str]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    cursor = None
    while True:
        page = http.get("/v1/requests", params={**params, "limit": "500", **({"before": cursor} if cursor else {})})
        assert page.status_code == 200, page.text
        body = page.json()
        rows += body["data"]
        if not body["hasMore"]:
            return rows
        cursor = body["nextCursor"]


def money_sum(values: list[str | None]) -> Decimal:
    return sum((D(v) for v in values if v not in (None, "")), D(0))


RANGES = [
    {"period": "all"},
    {"from": "2026-06-01T05:13:27Z", "to": "2026-06-02T19:41:03.5Z"},  # partial hours at both edges
    {"from": "2026-06-02"},
    {"from": "2026-06-01T10:00:00+02:00", "to": "2026-06-01T08:30:00Z"},  # inside one hour
]


@pytest.mark.parametrize("params", RANGES, ids=["all", "odd-edges", "from-a-day", "one-hour"])
def test_summary_history_csv_and_roi_agree_to_the_cent(seeded: Seeded, params: dict[str, str]):
    truth = expected_totals(in_range(seeded.records, params.get("from"), params.get("to")))
    history_params = {k: v for k, v in params.items() if k != "period"}
    with seeded.client() as http:
        summary = http.get("/v1/analytics/summary", params=params).json()
        roi = http.get("/v1/reports/roi", params=params).json()
        rows = all_pages(http, history_params)
        exported = http.get("/v1/exports/requests.csv", params=history_params)
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    cells = list(csv.DictReader(io.StringIO(exported.text)))

    assert summary["totals"]["requests"] == len(rows) == len(cells) == roi["requests"] == truth["requests"]
    spend = D(summary["totals"]["spendUsd"])
    assert spend == truth["spend"]
    assert money_sum([r["spend_usd"] for r in rows]) == spend
    assert money_sum([c["spend_usd"] for c in cells]) == spend
    assert D(roi["spendUsd"]) == spend
    for source, field in (("verifiedUsd", "verified_savings_usd"), ("estimatedUsd", "estimated_savings_usd")):
        in_summary = D(summary["savings"][source])
        assert in_summary == truth[source.removesuffix("Usd")]
        assert money_sum([r.get(field) for r in rows]) == in_summary
        assert money_sum([c[field] for c in cells]) == in_summary
        assert D(roi["savings"][source]) == in_summary
    unpriced = summary["totals"]["unpricedRequests"]
    assert unpriced == truth["unpriced"] == roi["unpricedRequests"]
    assert unpriced == sum(1 for c in cells if c["status"] == "200" and c["priced"] == "false" and c["spend_usd"] == "")
    assert summary["totals"]["tokens"]["prompt"] == truth["prompt_tokens"]
    assert summary["errors"]["total"] == truth["errors"] == sum(1 for r in rows if r["status"] != 200)
    # Per feature too, with untagged traffic under "(untagged)".
    by_feature = {f["feature"]: D(f["spendUsd"]) for f in summary["features"]}
    for name, amount in by_feature.items():
        in_csv = [c["spend_usd"] for c in cells if c["feature"] in (name, "'" + name)]  # "=..." is neutralised
        assert amount == money_sum(in_csv), name
    assert sum(by_feature.values(), D(0)) == spend
    assert {r["feature"] or "(untagged)" for r in rows} == set(by_feature)


def test_cache_opportunity_counts_repeats_and_what_they_cost(seeded: Seeded):
    with seeded.client() as http:
        summary = http.get("/v1/analytics/summary", params={"period": "all"}).json()
        rows = all_pages(http, {})
    repeats = [r for r in rows if r.get("repeat_of")]
    opportunity = summary["cacheOpportunity"]
    assert repeats and opportunity["ttlSeconds"] == 3600
    assert opportunity["repeatRequests"] == len(repeats)
    assert D(opportunity["repeatSpendUsd"]) == money_sum([r["spend_usd"] for r in repeats])
    assert opportunity["unpricedRepeats"] == sum(1 for r in repeats if r["spend_usd"] is None)
    for r in repeats:  # only traffic that went to the provider without a cache read
        assert billed(r) and r["cache_mode"] in ("bypass", "write_only")
    per_feature = {f["feature"]: f["repeatRequests"] for f in opportunity["features"]}
    assert sum(per_feature.values()) == len(repeats)


def test_replays_and_hits_are_savings_never_spend():
    from killtoken_proxy.store.ledger.totals import Totals

    totals = Totals()
    totals.add(record(T0, cost="0.25"))
    totals.add(record(T0, cost="0.25", replay=True, verified="0.25"))
    totals.add(record(T0, cost="0", cache_status="hit", verified="0.25"))
    totals.add(record(T0, provider="openai_compatible", cost=None))
    totals.add(record(T0, status=502))
    view = totals.public()
    assert view["spendUsd"] == "0.25" and view["billedRequests"] == 2 and view["unpricedRequests"] == 1
    assert view["savings"] == {
        "verifiedUsd": "0.5",
        "cacheHitsUsd": "0.25",
        "replaysUsd": "0.25",
        "estimatedUsd": "0",
        "totalUsd": "0.5",
    }
    assert view["errors"] == {"total": 1, "byCode": {"upstream_error": 1}}


def test_csv_columns_are_stable_and_formula_cells_are_neutralised(seeded: Seeded):
    with seeded.client() as http:
        exported = http.get("/v1/exports/requests.csv", params={"feature": "=cmd|' /C calc'!A0"})
    assert "attachment" in exported.headers["content-disposition"]
    assert int(exported.headers["x-killtoken-expected-rows"]) >= exported.text.count("\n") - 1
    header, *lines = list(csv.reader(io.StringIO(exported.text)))
    assert tuple(header) == HEADER
    assert header[:6] == ["id", "created_at", "feature", "provider", "model", "provider_model"]
    assert lines and all(row[2] == "'=cmd|' /C calc'!A0" for row in lines)
    for row in lines:
        assert not any(cell.startswith(("=", "+", "-", "@")) for cell in row)


def test_roi_report_in_markdown_and_csv_states_its_assumptions(seeded: Seeded):
    with seeded.client() as http:
        md = http.get("/v1/reports/roi", params={"period": "all", "format": "md"})
        as_csv = http.get("/v1/reports/roi", params={"period": "all", "format": "csv", "feature": "search"})
        js = http.get("/v1/reports/roi", params={"period": "all", "feature": "search"}).json()
    assert md.headers["content-type"].startswith("text/markdown")
    assert "## Assumptions" in md.text and "unpriced" in md.text.lower() and "| Net savings |" in md.text
    table = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert table[0]["section"] == "total" and D(table[0]["spend_usd"]) == D(js["spendUsd"])
    assert {row["name"] for row in table if row["section"] == "feature"} == {"search"}
    assert D(js["netSavingsUsd"]) == D(js["savings"]["verifiedUsd"]) + D(js["savings"]["estimatedUsd"])
    assert D(js["withoutKillTokenUsd"]) == D(js["spendUsd"]) + D(js["netSavingsUsd"])


def test_analytics_json_export_has_a_daily_series(seeded: Seeded):
    with seeded.client() as http:
        body = http.get("/v1/exports/analytics.json", params={"period": "all"}).json()
    assert [d["date"] for d in body["daily"]] == ["2026-06-01", "2026-06-02", "2026-06-03"]
    assert sum(D(d["spendUsd"]) for d in body["daily"]) == D(body["totals"]["spendUsd"])


def test_other_tenants_data_never_shows(seeded: Seeded):
    mine = {r["id"] for r in seeded.records}
    with seeded.client() as http:
        rows = all_pages(http, {})
        summary = http.get("/v1/analytics/summary", params={"period": "all"}).json()
        cells = list(csv.DictReader(io.StringIO(http.get("/v1/exports/requests.csv").text)))
    assert {r["id"] for r in rows} == mine == {c["id"] for c in cells}
    assert summary["totals"]["requests"] == len(mine)


@pytest.mark.parametrize(
    ("path", "params", "code"),
    [
        ("/v1/requests", {"from": "yesterday"}, "invalid_time_range"),
        ("/v1/requests", {"from": "2026-06-02", "to": "2026-06-01"}, "invalid_time_range"),
        ("/v1/requests", {"status": "fine"}, "invalid_filter"),
        ("/v1/requests", {"cache_status": "warm"}, "invalid_filter"),
        ("/v1/requests", {"before": "'; drop"}, "invalid_cursor"),
        ("/v1/requests", {"limit": "0"}, "invalid_request"),
        ("/v1/analytics/summary", {"period": "30 days"}, "invalid_time_range"),
        ("/v1/analytics/summary", {"period": "7d", "from": "2026-06-01"}, "invalid_time_range"),
        ("/v1/reports/roi", {"format": "xlsx"}, "invalid_request"),
        ("/v1/exports/requests.csv", {"status": "2000"}, "invalid_filter"),
    ],
)
def test_bad_report_parameters_get_a_clear_400(seeded: Seeded, path: str, params: dict[str, str], code: str):
    with seeded.client() as http:
        response = http.get(path, params=params)
    assert response.status_code == 400, response.text
    assert response.json()["error"] == code and response.json()["message"]


def test_reports_need_the_tenant_key(seeded: Seeded):
    for path in ("/v1/analytics/summary", "/v1/exports/requests.csv", "/v1/reports/roi", "/v1/prices"):
        response = httpx.get(seeded.url + path)
        assert response.status_code == 401 and response.json()["error"] == "tenant_not_resolved"


def test_default_summary_covers_today_and_the_29_days_before(seeded: Seeded):
    with seeded.client() as http:
        summary = http.get("/v1/analytics/summary").json()
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    assert summary["period"] == "30d" and summary["to"] is None
    assert summary["from"] == (today - timedelta(days=29)).isoformat()
    assert summary["totals"]["requests"] == len(in_range(seeded.records, summary["from"], None))
