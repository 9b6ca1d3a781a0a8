"""Ledger scale benchmark: fill ledgers of 10k, 100k and 1M records, then time what users feel.

Run from the repository root (a benchmark, not a test; it needs ~2 GB of free disk for 1M records):

    .venv/bin/python bench/ledger.py                      # 10k, 100k, 1M
    .venv/bin/python bench/ledger.py --sizes 10000,100000  # quicker

It fills every ledger first, then measures them in interleaved rounds (medians reported), because
timings drift on a shared machine. For each size: the cost of a write (a batch of 50 records, the
steady state at ~1,000 requests/s, and a batch of 1, the low-traffic case) over two whole segment
cycles so every size is measured on the same fill pattern; the analytics summary (last 30 days, and a
range with partial hours at both edges); the first history page (cold after a restart, then warm,
and filtered); a CSV export of every record; the restart (load) time; files and bytes on disk.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import resource
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from killtoken_proxy.ids import new_id
from killtoken_proxy.reports.csv_export import csv_chunks
from killtoken_proxy.reports.summary import breakdown, summary_json
from killtoken_proxy.reports.timerange import TimeRange, resolve
from killtoken_proxy.store.ledger import Ledger, RecordFilter

TENANT = "tn_01benchtenant0000000000000"
FEATURES = ["weekly-summary", "content-moderation", "search", "support-bot", "doc-qa", "onboarding", None]
MODELS = [
    ("openai", "gpt-4.1-mini", "gpt-4.1-mini-2025-04-14"),
    ("openai", "gpt-4.1", "gpt-4.1-2025-04-14"),
    ("anthropic", "claude-sonnet-4-5", "claude-sonnet-4-5-20250929"),
    ("openai_compatible", "llama-3.1-8b", "llama-3.1-8b"),
]
FILL_BATCH = 500
WRITE_BATCH = 50
DAYS = 30


def records(count: int, start: datetime, span: timedelta, seed: int) -> Iterator[dict[str, Any]]:
    """Records shaped like the pipeline's, in time order, about 1 KB each as JSON."""
    rng = random.Random(seed)
    step = span / count
    for i in range(count):
        at = start + step * i
        provider, model, answered = MODELS[i % len(MODELS)]
        ok = rng.random() > 0.05
        prompt, completion = rng.randint(50, 4000), rng.randint(5, 800)
        doc: dict[str, Any] = {
            "id": new_id("req", now_ms=int(at.timestamp() * 1000)),
            "created_at": at.isoformat(),
            "door": "openai",
            "tenant_id": TENANT if i % 20 else "tn_01otherbenchtenant000000000",
            "feature": FEATURES[rng.randrange(len(FEATURES))],
            "provider": provider,
            "model": model,
            "optimization_mode": "measure_only",
            "cache_mode": "bypass",
            "credential_id": "cred_01benchcredential00000000",
            "cache_key": f"{rng.randrange(count // 3 + 1):064x}",
            "upstream_ms": round(rng.uniform(200, 2000), 2),
            "upstream_status": 200 if ok else 429,
            "upstream_request_id": f"req-up-{i}",
            "status": 200 if ok else 429,
            "latency_ms": round(rng.uniform(200, 2000), 2),
        }
        if ok:
            cost = None if provider == "openai_compatible" else f"{rng.randint(1, 90000) / 10_000_000:.7f}"
            doc.update(
                provider_model=answered,
                prompt_tokens=prompt,
                completion_tokens=completion,
                total_tokens=prompt + completion,
                cached_prompt_tokens=0,
                cache_write_tokens=0,
                reasoning_tokens=0,
                usage_reported=True,
                cost_usd=cost,
                price_source=None if cost is None else "genai-prices 0.2.3",
                cache_status="bypass",
                gateway_ms=round(rng.uniform(0.3, 1.5), 2),
                provider_usage={"prompt_tokens": prompt, "completion_tokens": completion},
                estimated_savings_usd="0",
                verified_savings_usd="0",
            )
        else:
            doc["error"] = "rate_limited"
        yield doc


def timed(action: Callable[[], Any], runs: int = 5) -> tuple[float, Any]:
    """Median wall time in ms over `runs`, and the last result."""
    times, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = action()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), result


def fill(folder: Path, size: int, now: datetime) -> float:
    ledger = Ledger(folder)
    start = (now - timedelta(days=DAYS)).replace(hour=0, minute=0, second=0, microsecond=0)
    span = timedelta(days=DAYS) - timedelta(minutes=1)  # ends yesterday: today is left for the write test
    batch: list[dict[str, Any]] = []
    started = time.perf_counter()
    for record in records(size, start, span, seed=size):
        batch.append(record)
        if len(batch) == FILL_BATCH:
            ledger.append(batch)
            batch = []
    if batch:
        ledger.append(batch)
    ledger.files.close()
    return time.perf_counter() - started


def write_cost(ledger: Ledger, batch_size: int, total: int, now: datetime) -> dict[str, float]:
    """ms per batch written into today's segments (the live case), over whole segment cycles."""
    times: list[float] = []
    batch: list[dict[str, Any]] = []
    for record in records(total, now, timedelta(minutes=10), seed=batch_size):
        batch.append(record)
        if len(batch) == batch_size:
            started = time.perf_counter()
            ledger.append(batch)
            times.append((time.perf_counter() - started) * 1000)
            batch = []
    return {
        "mean_ms": statistics.fmean(times),
        "p95_ms": statistics.quantiles(times, n=20)[-1],
        "us_per_record": statistics.fmean(times) * 1000 / batch_size,
    }


def export_seconds(ledger: Ledger) -> tuple[float, int]:
    rows = 0
    started = time.perf_counter()
    with open(os.devnull, "w", encoding="utf-8") as sink:
        for chunk in csv_chunks(ledger.iterate(RecordFilter(TENANT))):
            sink.write(chunk)
            rows += chunk.count("\n")
    return time.perf_counter() - started, rows - 1


def prepare(size: int, root: Path, now: datetime) -> dict[str, Any]:
    folder = root / f"ledger-{size}"
    out: dict[str, Any] = {"size": size, "folder": folder, "fill_s": fill(folder, size, now)}
    out["segments"] = len(list(folder.rglob("seg-*.json")))
    out["disk_mb"] = sum(p.stat().st_size for p in folder.rglob("*.json")) / 1e6
    gc.collect()
    started = time.perf_counter()
    ledger = Ledger(folder)
    ledger.files.load()
    out["restart_ms"] = (time.perf_counter() - started) * 1000
    started = time.perf_counter()
    ledger.page(RecordFilter(TENANT), 51)
    out["first_page_cold_ms"] = (time.perf_counter() - started) * 1000
    out["ledger"] = ledger
    return out


def one_round(state: dict[str, Any], now: datetime, round_no: int) -> dict[str, Any]:
    """Everything but the export, once; rounds alternate between sizes so machine noise hits all alike."""
    ledger: Ledger = state["ledger"]
    out: dict[str, Any] = {}
    out["first_page_ms"], _ = timed(lambda: ledger.page(RecordFilter(TENANT), 51), runs=20)
    out["filtered_page_ms"], _ = timed(
        lambda: ledger.page(RecordFilter(TENANT, feature="onboarding", provider="anthropic", status="ok"), 51)
    )
    last_30 = resolve(None, None, "30d")
    edges = TimeRange(now - timedelta(days=12, minutes=17), now - timedelta(days=2, hours=5, minutes=41))
    out["summary_ms"], _ = timed(lambda: summary_json(breakdown(ledger, TENANT, last_30), last_30, 3600))
    out["summary_edges_ms"], _ = timed(lambda: summary_json(breakdown(ledger, TENANT, edges), edges, 3600))
    cycle = 2 * ledger.files.limits.segment_records
    start = now + timedelta(minutes=30 * round_no)
    out["write_50"] = write_cost(ledger, WRITE_BATCH, cycle, start)
    out["write_1"] = write_cost(ledger, 1, cycle // 4, start + timedelta(minutes=20))
    return out


def measure(sizes: list[int], root: Path, rounds: int) -> list[dict[str, Any]]:
    now = datetime.now(UTC)
    states = []
    for size in sizes:
        print(f"filling {size:,} records ...", file=sys.stderr, flush=True)
        states.append(prepare(size, root, now))
    samples: list[list[dict[str, Any]]] = [[] for _ in sizes]
    for round_no in range(rounds):
        print(f"round {round_no + 1} of {rounds} ...", file=sys.stderr, flush=True)
        for index, state in enumerate(states):
            samples[index].append(one_round(state, now, round_no))
    results = []
    for state, runs in zip(states, samples, strict=True):
        ledger = state.pop("ledger")
        state.pop("folder")
        result = {**state, **_medians(runs)}
        result["export_s"], result["export_rows"] = export_seconds(ledger)
        ledger.files.close()
        results.append(result)
    results[-1]["max_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return results


def _medians(runs: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in runs[0].items():
        if isinstance(value, dict):
            out[key] = {k: statistics.median(r[key][k] for r in runs) for k in value}
        else:
            out[key] = statistics.median(r[key] for r in runs)
    return out


def report(results: list[dict[str, Any]]) -> None:
    base = results[0]
    print(f"\nLedger benchmark, {os.cpu_count()} CPUs, segment = 1,000 records / 1 MiB, batches of {WRITE_BATCH}")
    header = f"{'records':>10} | {'write 50 ms':>11} | {'vs 1st':>6} | {'us/rec':>6} | {'write 1 ms':>10} | "
    header += f"{'summary ms':>10} | {'edges ms':>8} | {'page ms':>7} | {'cold':>6} | {'filtered':>8} | "
    header += f"{'export s':>8} | {'restart ms':>10} | {'segments':>8} | {'disk MB':>8}"
    print(header)
    print("-" * len(header))
    for r in results:
        ratio = r["write_50"]["mean_ms"] / base["write_50"]["mean_ms"]
        print(
            f"{r['size']:>10,} | {r['write_50']['mean_ms']:>11.2f} | {ratio:>5.2f}x | "
            f"{r['write_50']['us_per_record']:>6.0f} | {r['write_1']['mean_ms']:>10.2f} | "
            f"{r['summary_ms']:>10.1f} | {r['summary_edges_ms']:>8.1f} | {r['first_page_ms']:>7.2f} | "
            f"{r['first_page_cold_ms']:>6.1f} | {r['filtered_page_ms']:>8.1f} | {r['export_s']:>8.1f} | "
            f"{r['restart_ms']:>10.0f} | {r['segments']:>8,} | {r['disk_mb']:>8.0f}"
        )
    print(
        "\nwrite 50/1: mean ms per batch into today's segment over two full segment cycles (p95 for 50: "
        + ", ".join(f"{r['write_50']['p95_ms']:.1f}" for r in results)
        + "); summary: last 30 days from rollups; edges: a range with partial hours folded from records;\n"
        "page: first 50 of GET /v1/requests (warm; cold = first after a restart); filtered: feature+provider+status;\n"
        "export: every record of the tenant as CSV; restart: load catalogs and summarise open segments.\n"
        "fill time (s): " + ", ".join(f"{r['fill_s']:.0f}" for r in results) + "; "
        f"peak RSS with all ledgers open: {results[-1]['max_rss_mb']:.0f} MB"
    )
    last = results[-1]
    flat = last["write_50"]["mean_ms"] <= 1.5 * base["write_50"]["mean_ms"]
    targets = [
        ("write cost at the largest size within 1.5x of the smallest", flat),
        ("summary under 300 ms at the largest size", last["summary_ms"] < 300),
        ("first history page under 50 ms at the largest size", last["first_page_ms"] < 50),
    ]
    for name, ok in targets:
        print(f"  [{'ok' if ok else 'MISSED'}] {name}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000,1000000", help="comma-separated ledger sizes")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds; medians are reported")
    parser.add_argument("--dir", type=Path, default=None, help="where to build the ledgers (default: a temp dir)")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    root = Path(tempfile.mkdtemp(prefix="kt-ledger-bench-", dir=args.dir))
    try:
        report(measure(sizes, root, args.rounds))
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
