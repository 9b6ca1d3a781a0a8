"""`kt report roi`: spend, savings by source and net, per feature and model, with the assumptions stated."""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer

from killtoken_cli.help_format import Typer
from killtoken_cli.shared_options import AsJson, End, Feature, Start, Tenant, parse_period

app = Typer(help="Reports: roi.", no_args_is_help=True)

FORMATS = ("table", "md", "csv")


@app.command("roi")
def roi(
    period: Annotated[
        str | None, typer.Option(parser=parse_period, metavar="PERIOD", help="30d (default), 24h, 4w or all.")
    ] = None,
    start: Start = None,
    end: End = None,
    feature: Feature = None,
    fmt: Annotated[str, typer.Option("--format", metavar="FORMAT", help="table (default), md or csv.")] = "table",
    as_json: AsJson = False,
    tenant: Tenant = None,
) -> None:
    """What KillToken saved against what you spent, over a period."""
    from killtoken_cli.connection import connect
    from killtoken_cli.errors import reported
    from killtoken_cli.output import fail, print_json

    if fmt not in FORMATS:
        fail(f"--format must be one of {', '.join(FORMATS)}.", 2)
    wire = "json" if as_json or fmt == "table" else fmt
    with reported(), connect(tenant=tenant) as client:
        report = client.roi_report(format=wire, period=period, start=start, end=end, feature=feature)
    if as_json:
        print_json(report)
    elif fmt == "table":
        show(report)
    else:
        sys.stdout.write(report)


def show(report: dict[str, Any]) -> None:
    from killtoken_cli.output import info
    from killtoken_cli.report_views import (
        UNKNOWN,
        model_label,
        money,
        period_label,
        print_pairs,
        print_rows,
        savings_rate,
        unpriced_only,
        usd,
    )

    savings = report["savings"]
    scope = f" for {report['feature']}" if report["feature"] else ""
    print_pairs(
        f"KillToken ROI{scope}, {period_label(report)}",
        [
            ("Requests", f"{report['requests']:,}"),
            ("Billed requests", f"{report['billedRequests']:,} ({report['unpricedRequests']:,} unpriced)"),
            ("Spend", money(report["spendUsd"], report, spend=True)),
            ("Saved by cache hits", money(savings["cacheHitsUsd"], report)),
            ("Saved by replays", money(savings["replaysUsd"], report)),
            ("Saved by optimization (estimated)", money(savings["estimatedUsd"], report)),
            ("Net savings", money(report["netSavingsUsd"], report)),
            # Spend plus savings: unknown as soon as the spend is.
            ("Cost without KillToken", UNKNOWN if unpriced_only(report) else usd(report["withoutKillTokenUsd"])),
            ("Savings rate", savings_rate(report)),
            ("Cache opportunity (not yet saved)", money(report["cacheOpportunityUsd"], report)),
        ],
    )
    columns = ["requests", "spend", "verified", "estimated", "net savings"]
    for title, key in (("Per feature", "features"), ("Per model", "models")):
        print_rows(
            title,
            ["feature" if key == "features" else "provider / model", *columns],
            [
                [
                    row.get("feature") or model_label(row["provider"], row["model"]),
                    f"{row['requests']:,}",
                    money(row["spendUsd"], row, spend=True),
                    money(row["verifiedSavingsUsd"], row),
                    money(row["estimatedSavingsUsd"], row),
                    money(row["netSavingsUsd"], row),
                ]
                for row in report[key]
            ],
        )
    info("Assumptions:\n" + "\n".join(f"  - {note}" for note in report["assumptions"]))
