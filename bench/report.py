"""Turn a run into numbers: per-row statistics, ratios against direct and LiteLLM, the issue's targets."""

from __future__ import annotations

import math
import platform
import statistics
from dataclasses import dataclass
from typing import Any

from bench.driver import percentile
from bench.loop import loop_name
from bench.runner import ROWS, Block, Run

NOT_ON_BRANCH = "n/a (cache not on this branch)"


@dataclass(frozen=True)
class Row:
    row: str
    latency_ms: float
    concurrency: int
    requests: int
    errors: int
    rps: float  # median over rounds
    p50: float
    p90: float
    p99: float
    max: float
    added_p50: float | None  # median over rounds of (this row - direct), ms
    added_p99: float | None
    rps_vs_direct: float | None  # median over rounds of the per-round ratio
    rps_vs_litellm: float | None
    cpu_ms: float | None  # gateway CPU per request
    hit_rate: float | None  # kt-cache only
    driver_cpu_ms: float

    @property
    def unavailable(self) -> bool:
        return self.row == "kt-cache" and not self.hit_rate


def _median(values: list[float]) -> float | None:
    clean = [v for v in values if not math.isnan(v)]
    return statistics.median(clean) if clean else None


def _per_round(blocks: list[Block], other: list[Block], fn: Any) -> float | None:
    by_round = {b.round: b for b in other}
    return _median([fn(b, by_round[b.round]) for b in blocks if b.round in by_round])


def summarize(run: Run) -> list[Row]:
    rows: list[Row] = []
    keys = sorted({(b.latency_ms, b.concurrency) for b in run.blocks})
    for latency, concurrency in keys:
        here = [b for b in run.blocks if (b.latency_ms, b.concurrency) == (latency, concurrency)]
        by_row = {name: [b for b in here if b.row == name] for name in ROWS}
        direct, litellm = by_row["direct"], by_row["litellm"]
        for name in ROWS:
            blocks = by_row[name]
            if not blocks:
                continue
            pooled = sorted(v for b in blocks for v in b.result.latencies_ms)
            requests = sum(b.result.requests for b in blocks)
            cpu = [b.cpu_s for b in blocks if b.cpu_s is not None]

            def p(values: list[float], q: float) -> float:
                return percentile(sorted(values), q)

            rows.append(
                Row(
                    row=name,
                    latency_ms=latency,
                    concurrency=concurrency,
                    requests=requests,
                    errors=sum(b.result.errors for b in blocks),
                    rps=_median([b.result.rps for b in blocks]) or 0.0,
                    p50=percentile(pooled, 50),
                    p90=percentile(pooled, 90),
                    p99=percentile(pooled, 99),
                    max=pooled[-1] if pooled else float("nan"),
                    added_p50=None
                    if name == "direct"
                    else _per_round(
                        blocks, direct, lambda b, d: p(b.result.latencies_ms, 50) - p(d.result.latencies_ms, 50)
                    ),
                    added_p99=None
                    if name == "direct"
                    else _per_round(
                        blocks, direct, lambda b, d: p(b.result.latencies_ms, 99) - p(d.result.latencies_ms, 99)
                    ),
                    rps_vs_direct=_per_round(blocks, direct, lambda b, d: b.result.rps / d.result.rps),
                    rps_vs_litellm=None
                    if name in ("litellm", "direct")
                    else _per_round(
                        blocks, litellm, lambda b, d: b.result.rps / d.result.rps if d.result.rps else math.nan
                    ),
                    cpu_ms=sum(cpu) / requests * 1000 if cpu and requests else None,
                    hit_rate=sum(b.result.hits for b in blocks) / requests if name == "kt-cache" and requests else None,
                    driver_cpu_ms=sum(b.driver_cpu_s for b in blocks) / max(requests, 1) * 1000,
                )
            )
    return rows


def find(rows: list[Row], name: str, latency: float, concurrency: int) -> Row | None:
    return next((r for r in rows if (r.row, r.latency_ms, r.concurrency) == (name, latency, concurrency)), None)


@dataclass(frozen=True)
class Check:
    target: str
    measured: str
    holds: bool | None  # None: could not be measured in this run


def _check(
    label: str, value: float | None, limit: float, fmt: str, *, at_most: bool, why_missing: str = "not measured"
) -> Check:
    if value is None or math.isnan(value):
        return Check(label, why_missing, None)
    holds = value <= limit if at_most else value >= limit
    return Check(label, fmt.format(value), holds)


def soak_growth(run: Run) -> tuple[float, float, float] | None:
    """(RSS after the first 20%, RSS at the end, growth) in MiB."""
    samples = run.soak.get("samples") or []
    if len(samples) < 5:
        return None
    settled = samples[max(0, len(samples) // 5 - 1)]["rss_mib"]
    last = samples[-1]["rss_mib"]
    return settled, last, last - settled


def checks(run: Run, rows: list[Row]) -> list[Check]:
    kt1, kt16 = find(rows, "kt", 0, 1), find(rows, "kt", 0, 16)
    ll16, pt16 = find(rows, "litellm", 0, 16), find(rows, "passthrough", 0, 16)
    cache16 = find(rows, "kt-cache", 0, 16)
    kt64s, direct64s = find(rows, "kt", 50, 64), find(rows, "direct", 50, 64)
    no_cache = NOT_ON_BRANCH if cache16 is not None and cache16.unavailable else "not measured"
    cache_ok = cache16 is not None and not cache16.unavailable
    out = [
        _check(
            "0 ms, c=1: added latency p50 <= 1.5 ms", kt1.added_p50 if kt1 else None, 1.5, "{:.2f} ms", at_most=True
        ),
        _check("0 ms, c=1: added latency p99 <= 3 ms", kt1.added_p99 if kt1 else None, 3.0, "{:.2f} ms", at_most=True),
        _check(
            "0 ms, c=16: throughput >= 20x LiteLLM", kt16.rps_vs_litellm if kt16 else None, 20, "{:.1f}x", at_most=False
        ),
        _check(
            "0 ms, c=16: CPU/request <= 1/15 of LiteLLM's",
            ll16.cpu_ms / kt16.cpu_ms if kt16 and ll16 and kt16.cpu_ms and ll16.cpu_ms else None,
            15,
            "1/{:.1f}",
            at_most=False,
        ),
        _check(
            "0 ms, c=16: CPU/request <= 2x the bare pass-through's",
            kt16.cpu_ms / pt16.cpu_ms if kt16 and pt16 and kt16.cpu_ms and pt16.cpu_ms else None,
            2,
            "{:.2f}x",
            at_most=True,
        ),
        _check(
            "cache hit, 0 ms, c=16: CPU/request <= 0.5 ms",
            cache16.cpu_ms if cache_ok and cache16 else None,
            0.5,
            "{:.3f} ms",
            at_most=True,
            why_missing=no_cache,
        ),
        _check(
            "cache hit, 0 ms, c=16: >= 2,000 requests/s",
            cache16.rps if cache_ok and cache16 else None,
            2000,
            "{:,.0f} req/s",
            at_most=False,
            why_missing=no_cache,
        ),
        _check(
            "50 ms, c=64: throughput >= 90% of direct",
            kt64s.rps_vs_direct if kt64s and direct64s else None,
            0.9,
            "{:.1%}",
            at_most=False,
        ),
    ]
    growth = soak_growth(run)
    if growth is None:
        out.append(Check("steady memory over the soak", "not measured", None))
    else:
        settled, last, grew = growth
        complete = run.soak["requests"] >= run.soak["planned"]
        label = f"steady memory: RSS does not grow over {run.soak['planned']:,} requests"
        measured = f"{settled:.0f} -> {last:.0f} MiB ({grew:+.0f}) over {run.soak['requests']:,} req"
        holds = grew <= max(0.05 * settled, 8.0) and complete
        out.append(Check(label, measured + ("" if complete else " (cut short)"), holds))
    help_ms = statistics.median(run.help_ms) if run.help_ms else None
    out.append(_check("`kt --help` wall time < 150 ms", help_ms, 150, "{:.0f} ms", at_most=True))
    return out


def environment(run: Run) -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "bench_loop": loop_name(),
        "load_average_before": run.load_before,
        "load_average_after": run.load_after,
    }
