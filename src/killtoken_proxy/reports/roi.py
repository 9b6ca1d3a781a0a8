"""The ROI report: spend, savings by source, net, per feature and per model, with its assumptions stated."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from killtoken_proxy.money import money_text
from killtoken_proxy.reports.csv_export import safe_cell
from killtoken_proxy.reports.row_labels import (
    UNKNOWN,
    UNPRICED,
    model_label,
    period_label,
    savings_rate,
    unknown_money,
    unpriced_only,
)
from killtoken_proxy.reports.summary import Breakdown, split_template_labels
from killtoken_proxy.reports.timerange import TimeRange
from killtoken_proxy.store.ledger.totals import Totals

CSV_COLUMNS = (
    "section",
    "name",
    "requests",
    "billed_requests",
    "unpriced_requests",
    "spend_usd",
    "verified_savings_usd",
    "estimated_savings_usd",
    "net_savings_usd",
    "without_killtoken_usd",
    "cache_opportunity_usd",
)


def _row(totals: Totals) -> dict[str, Any]:
    savings = totals.verified + totals.estimated
    return {
        "requests": totals.requests,
        "billedRequests": totals.billed,
        "unpricedRequests": totals.unpriced,
        "spendUsd": money_text(totals.spend),
        "verifiedSavingsUsd": money_text(totals.verified),
        "estimatedSavingsUsd": money_text(totals.estimated),
        "netSavingsUsd": money_text(savings),
        "withoutKillTokenUsd": money_text(totals.spend + savings),
        "cacheOpportunityUsd": money_text(totals.repeat_spend),
        # What each optimization mode would have saved on this traffic (the optimizer's shadow estimate).
        "potentialSavingsUsd": {mode: money_text(v) for mode, v in sorted(totals.potential.items())},
    }


def _rate(part: Decimal, whole: Decimal) -> str | None:
    return str((part / whole).quantize(Decimal("0.0001"))) if whole else None


def assumptions(total: Totals, ttl_seconds: float) -> list[str]:
    notes = [
        "Spend is what providers bill for the calls that reached them, priced per token kind (input, cached "
        "input, cache writes, output including reasoning) from genai-prices' bundled list prices or this "
        "tenant's overrides (`kt prices`).",
        "Verified savings are cache hits and idempotent replays, each valued at the cost of the call it "
        "replaced; no provider call was made for them. Replays and hits never count as spend.",
        "Estimated savings come from prompt optimization: tokens removed times the model's input price. "
        "They are a model of what was avoided, not a measurement.",
        "KillToken runs locally and costs nothing per request, so net savings equal gross savings.",
        f"Cache opportunity is not part of savings: it is what an exact cache in read_write mode with a "
        f"{ttl_seconds:g} s TTL would have saved on repeated identical requests sent without a cache read.",
        "Potential savings per optimization mode are the optimizer's shadow estimate on the same traffic "
        "(tokens each mode would remove times the input price); they are not part of savings.",
        "Times are UTC; the period is [from, to).",
    ]
    if total.unpriced:
        notes.insert(
            1,
            f"{total.unpriced} billed request(s) had no known price: they are counted, but left out of every "
            "money figure (set a price with `kt prices set`).",
        )
    return notes


def roi_json(parts: Breakdown, when: TimeRange, feature: str | None, ttl_seconds: float) -> dict[str, Any]:
    total = parts.total
    savings = total.verified + total.estimated
    return {
        **when.public(),
        "feature": feature,
        "generatedAt": datetime.now(UTC).isoformat(),
        "currency": "USD",
        **_row(total),
        "savings": {
            "cacheHitsUsd": money_text(total.verified_cache),
            "replaysUsd": money_text(total.verified_replay),
            "verifiedUsd": money_text(total.verified),
            "optimizationUsd": money_text(total.estimated),
            "estimatedUsd": money_text(total.estimated),
            "totalUsd": money_text(savings),
        },
        "savingsRate": _rate(savings, total.spend + savings),
        "cacheOpportunityRequests": total.repeats,
        "features": [
            {"feature": name, **_row(t)}
            for name, t in sorted(parts.features.items(), key=lambda kv: (-kv[1].spend, kv[0]))
        ],
        "models": [
            {"provider": p, "model": m, **_row(t)}
            for (p, m), t in sorted(parts.models.items(), key=lambda kv: (-kv[1].spend, kv[0]))
        ],
        "templates": [
            {"template": name, "version": version, **_row(t)}
            for name, version, t in split_template_labels(parts.templates)
        ],
        "assumptions": assumptions(total, ttl_seconds),
    }


def roi_csv(report: dict[str, Any]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)

    def emit(section: str, name: str, row: dict[str, Any]) -> None:
        writer.writerow(
            [
                section,
                safe_cell(name),
                row["requests"],
                row["billedRequests"],
                row["unpricedRequests"],
                row["spendUsd"],
                row["verifiedSavingsUsd"],
                row["estimatedSavingsUsd"],
                row["netSavingsUsd"],
                row["withoutKillTokenUsd"],
                row["cacheOpportunityUsd"],
            ]
        )

    emit("total", "all", report)
    for row in report["features"]:
        emit("feature", row["feature"], row)
    for row in report["models"]:
        emit("model", model_label(row["provider"], row["model"], "/"), row)
    for row in report["templates"]:
        emit("template", _row_name(row), row)
    return out.getvalue()


def roi_markdown(report: dict[str, Any]) -> str:
    scope = f" for feature `{report['feature']}`" if report["feature"] else ""
    savings = report["savings"]
    unknown = unpriced_only(report)  # spend unknown: so are spend + savings and the rate
    lines = [
        f"# KillToken ROI{scope}",
        "",
        f"Period: {period_label(report)}. Currency: USD.",
        "",
        "| Measure | Value |",
        "| --- | --- |",
        f"| Requests | {report['requests']} |",
        f"| Billed requests | {report['billedRequests']} ({report['unpricedRequests']} unpriced) |",
        f"| Spend | {_usd(report['spendUsd'], report, spend=True)} |",
        f"| Verified savings (cache hits) | {_usd(savings['cacheHitsUsd'], report)} |",
        f"| Verified savings (replays) | {_usd(savings['replaysUsd'], report)} |",
        f"| Estimated savings (optimization) | {_usd(savings['estimatedUsd'], report)} |",
        f"| Net savings | {_usd(report['netSavingsUsd'], report)} |",
        f"| Cost without KillToken | {UNKNOWN if unknown else '$' + report['withoutKillTokenUsd']} |",
        f"| Savings rate | {savings_rate(report)} |",
        f"| Cache opportunity (not yet saved) | {_usd(report['cacheOpportunityUsd'], report)} |",
        *(
            f"| Optimization opportunity, `{mode}` (not yet saved) | {_usd(amount, report)} |"
            for mode, amount in report["potentialSavingsUsd"].items()
        ),
    ]
    sections = [("Per feature", "features", "Feature"), ("Per model", "models", "Model")]
    if report["templates"]:
        sections.append(("Per template", "templates", "Template"))
    for title, key, label in sections:
        lines += ["", f"## {title}", "", f"| {label} | Requests | Spend | Verified | Estimated | Net savings |"]
        lines.append("| --- | ---: | ---: | ---: | ---: | ---: |")
        for row in report[key]:
            name = _row_name(row)
            lines.append(
                f"| {_md(name)} | {row['requests']} | {_usd(row['spendUsd'], row, spend=True)} "
                f"| {_usd(row['verifiedSavingsUsd'], row)} | {_usd(row['estimatedSavingsUsd'], row)} "
                f"| {_usd(row['netSavingsUsd'], row)} |"
            )
    lines += ["", "## Assumptions", "", *(f"- {note}" for note in report["assumptions"]), ""]
    return "\n".join(lines)


def _usd(amount: str | None, row: dict[str, Any], *, spend: bool = False) -> str:
    """Exact dollars, or "unpriced"/"n/a" where no priced request stands behind a $0."""
    if unknown_money(amount, row):
        return UNPRICED if spend else UNKNOWN
    return f"${amount}"


def _row_name(row: dict[str, Any]) -> str:
    if "template" in row:
        return f"{row['template']} v{row['version']}" if row["version"] is not None else str(row["template"])
    return str(row.get("feature") or model_label(row["provider"], row["model"], "/"))


def _md(text: str) -> str:
    return text.replace("|", "\\|")
