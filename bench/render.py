"""Print a run as rich tables (one per upstream latency, then the targets) and write it as JSON."""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from bench.report import NOT_ON_BRANCH, Check, Row, checks, environment, soak_growth, summarize
from bench.runner import Run

LABELS = {
    "direct": "direct",
    "passthrough": "bare pass-through",
    "kt": "kt serve",
    "kt-cache": "kt serve cache hit",
    "litellm": "LiteLLM proxy",
}


def _ms(value: float | None, signed: bool = False) -> str:
    if value is None:
        return "—"
    return f"{value:+.2f}" if signed else f"{value:.2f}"


def _ratio(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}x"


def _rows_table(rows: list[Row], latency: float, run: Run) -> Table:
    table = Table(title=f"Upstream latency {latency:g} ms", title_justify="left")
    for header in (
        "c",
        "target",
        "req/s",
        "x direct",
        "x LiteLLM",
        "p50",
        "p99",
        "max",
        "+p50",
        "+p99",
        "CPU ms/req",
        "CPU x pass",
        "LiteLLM CPU /",
    ):
        table.add_column(header, justify="left" if header == "target" else "right")
    by_conc: dict[int, list[Row]] = {}
    for row in rows:
        if row.latency_ms == latency:
            by_conc.setdefault(row.concurrency, []).append(row)
    for concurrency, group in sorted(by_conc.items()):
        passthrough = next((r for r in group if r.row == "passthrough"), None)
        litellm = next((r for r in group if r.row == "litellm"), None)
        for row in group:
            label = LABELS[row.row] + (f" ({row.errors} errors)" if row.errors else "")
            if row.unavailable:
                table.add_row(str(concurrency), label, NOT_ON_BRANCH, *[""] * 10)
                continue
            if row.row == "kt-cache" and row.hit_rate is not None and row.hit_rate < 0.999:
                label += f" ({row.hit_rate:.0%} hits)"
            cpu_vs_pass = row.cpu_ms / passthrough.cpu_ms if row.cpu_ms and passthrough and passthrough.cpu_ms else None
            ll_div = (
                litellm.cpu_ms / row.cpu_ms
                if row.cpu_ms and litellm and litellm.cpu_ms and row.row != "litellm"
                else None
            )
            table.add_row(
                str(concurrency),
                label,
                f"{row.rps:,.0f}",
                _ratio(row.rps_vs_direct),
                _ratio(row.rps_vs_litellm),
                _ms(row.p50),
                _ms(row.p99),
                _ms(row.max),
                _ms(row.added_p50, True),
                _ms(row.added_p99, True),
                _ms(row.cpu_ms),
                _ratio(cpu_vs_pass),
                "—" if ll_div is None else f"{ll_div:.0f}x",
            )
        table.add_section()
    return table


def _checks_table(found: list[Check]) -> Table:
    table = Table(title="Targets (issue #9)", title_justify="left")
    table.add_column("target")
    table.add_column("measured", justify="right")
    table.add_column("holds")
    for check in found:
        mark = "[green]yes[/]" if check.holds else "[red]no[/]" if check.holds is False else "[yellow]n/a[/]"
        table.add_row(check.target, check.measured, mark)
    return table


def show(run: Run, console: Console | None = None) -> None:
    console = console or Console(width=None if Console().is_terminal else 170)
    rows = summarize(run)
    for latency in run.plan.latencies_ms:
        console.print(_rows_table(rows, latency, run))
    peaks = ", ".join(f"{name} {kib / 1024:.0f} MiB" for name, kib in sorted(run.peak_rss_kib.items()))
    console.print(f"Peak RSS (VmHWM): {peaks}")
    if run.ledger_records:
        written = ", ".join(f"{k}: {'?' if v is None else f'{v:,}'}" for k, v in run.ledger_records.items())
        how = "a fresh kt serve per round and concurrency" if run.plan.fresh_kt else "one kt serve per latency"
        console.print(f"Ledger records written by kt serve during the matrix ({how}): {written}")
    growth = soak_growth(run)
    if growth is not None:
        samples = run.soak["samples"]
        console.print(
            f"Soak: {run.soak['requests']:,} unique requests at c=16; RSS {growth[0]:.0f} -> {growth[1]:.0f} MiB; "
            f"CPU {samples[0]['cpu_ms_per_request']:.2f} -> {samples[-1]['cpu_ms_per_request']:.2f} ms/req; "
            f"{samples[0]['rps']:,.0f} -> {samples[-1]['rps']:,.0f} req/s (first -> last 5%)"
        )
    console.print(_checks_table(checks(run, rows)))
    env = environment(run)
    driver = max((r.driver_cpu_ms for r in rows), default=0.0)
    console.print(
        f"Python {env['python']} on {env['platform']}, {os.cpu_count()} CPUs, bench loop {env['bench_loop']}; "
        f"load average before {_load(env['load_average_before'])}, after {_load(env['load_average_after'])}; "
        f"driver CPU at most {driver:.3f} ms/req. +p50/+p99: median over rounds of (row - direct) in the same round."
    )
    for note in run.notes:
        console.print(f"[yellow]note:[/] {note}")


def _load(values: tuple[float, float, float]) -> str:
    return " ".join(f"{v:.2f}" for v in values)


def write_json(run: Run, path: Path) -> None:
    rows = summarize(run)
    document: dict[str, Any] = {
        "environment": environment(run),
        "plan": {k: str(v) if isinstance(v, Path) else v for k, v in dataclasses.asdict(run.plan).items()},
        "rows": [dataclasses.asdict(r) for r in rows],
        "targets": [dataclasses.asdict(c) for c in checks(run, rows)],
        "peak_rss_mib": {k: v / 1024 for k, v in run.peak_rss_kib.items()},
        "ledger_records": run.ledger_records,
        "soak": run.soak,
        "kt_help_ms": run.help_ms,
        "notes": run.notes,
    }
    path.write_text(json.dumps(document, indent=2, default=str) + "\n")
