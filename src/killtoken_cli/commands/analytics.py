"""`kt analytics`: the analytics summary in the terminal, with a bar chart of spend per feature."""

from __future__ import annotations

from typing import Any

from killtoken_cli.shared_options import AsJson, End, Feature, Period, Start, Tenant


def summary(
    start: Start = None,
    end: End = None,
    period: Period = None,
    feature: Feature = None,
    as_json: AsJson = False,
    tenant: Tenant = None,
) -> None:
    """Spend and savings per feature and model. Also errors and the cache opportunity; the last 30 days by default."""
    from killtoken_cli.connection import connect
    from killtoken_cli.errors import reported
    from killtoken_cli.output import print_json

    with reported(), connect(tenant=tenant) as client:
        report = client.analytics_summary(start=start, end=end, period=period, feature=feature)
    if as_json:
        print_json(report)
        return
    show(report)


def show(report: dict[str, Any]) -> None:
    from killtoken_cli.output import info
    from killtoken_cli.report_views import model_label, money, period_label, print_pairs, print_rows, print_spend_chart

    totals, savings = report["totals"], report["savings"]
    tokens = totals["tokens"]
    print_pairs(
        f"KillToken analytics, {period_label(report)}",
        [
            ("Requests", f"{totals['requests']:,} ({totals['failed']:,} failed)"),
            ("Billed requests", f"{totals['billedRequests']:,} ({totals['unpricedRequests']:,} unpriced)"),
            ("Spend", money(totals["spendUsd"], totals, spend=True)),
            (
                "Verified savings",
                f"{money(savings['verifiedUsd'], totals)} (cache hits {money(savings['cacheHitsUsd'], totals)}, "
                f"replays {money(savings['replaysUsd'], totals)})",
            ),
            ("Estimated savings", f"{money(savings['estimatedUsd'], totals)} (prompt optimization)"),
            ("Prompt tokens", f"{tokens['prompt']:,} ({tokens['cachedPrompt']:,} cached)"),
            ("Completion tokens", f"{tokens['completion']:,} ({tokens['reasoning']:,} reasoning)"),
            ("Cache hits / replays", f"{totals['cacheHits']:,} / {totals['replays']:,}"),
        ],
    )
    if not report["features"]:
        info("No requests in this period.")
        return
    print_spend_chart(report["features"])
    print_rows(
        "Per provider and model",
        ["provider / model", "requests", "spend", "verified", "estimated", "unpriced"],
        [
            [
                model_label(m["provider"], m["model"]),
                f"{m['requests']:,}",
                money(m["spendUsd"], m, spend=True),
                money(m["savings"]["verifiedUsd"], m),
                money(m["savings"]["estimatedUsd"], m),
                f"{m['unpricedRequests']:,}",
            ]
            for m in report["models"]
        ],
    )
    if report["errors"]["total"]:
        print_rows("Errors", ["code", "count"], [[c, f"{n:,}"] for c, n in report["errors"]["byCode"].items()])
    _opportunity(report["cacheOpportunity"])
    if totals["unpricedRequests"]:
        info(
            f"{totals['unpricedRequests']:,} billed call(s) had no known price and are left out of the money "
            "figures. Set one with `kt prices set <provider> <model> --input ... --output ...`."
        )


def _opportunity(chance: dict[str, Any]) -> None:
    from killtoken_cli.output import info
    from killtoken_cli.report_views import print_rows, usd

    if not chance["repeatRequests"]:
        return
    ttl = f"{chance['ttlSeconds'] / 3600:g} h" if chance["ttlSeconds"] >= 3600 else f"{chance['ttlSeconds']:g} s"
    print_rows(
        f"Cache opportunity: identical repeats within {ttl}, sent without a cache read",
        ["feature", "repeats", "cost"],
        [[f["feature"], f"{f['repeatRequests']:,}", usd(f["repeatSpendUsd"])] for f in chance["features"]],
    )
    info(
        f'Caching them with cachePolicy {{"exactCache": "read_write"}} would have saved '
        f"{usd(chance['repeatSpendUsd'])}."
    )
