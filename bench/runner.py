"""The benchmark run: every target, interleaved, at each upstream latency and concurrency; then the soak.

One round sends a block of requests to each target in a shuffled order, so drift on a shared
machine hits all of them alike; added latency is the per-round difference against direct.
"""

from __future__ import annotations

import contextlib
import json
import random
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import gateways
from bench.driver import BlockResult, Driver, Target
from bench.procs import Child, cpu_seconds, load_average, memory_kib, self_cpu_seconds

ROWS = ("direct", "passthrough", "kt", "kt-cache", "litellm")
PROMPT = [{"role": "user", "content": "Say hello in five words."}]


@dataclass(frozen=True)
class Plan:
    rounds: int
    requests: int  # per block, at most
    seconds: float  # per block, at most
    warmup_requests: int
    concurrencies: tuple[int, ...]
    latencies_ms: tuple[float, ...]
    soak_requests: int
    soak_seconds: float
    usage_variants: int
    fresh_kt: bool  # a new kt serve (empty store) for every round and concurrency
    litellm_script: Path | None
    work: Path


@dataclass
class Block:
    row: str
    latency_ms: float
    concurrency: int
    round: int
    result: BlockResult
    cpu_s: float | None  # the gateway process tree's CPU during the block
    driver_cpu_s: float


@dataclass
class Run:
    plan: Plan
    blocks: list[Block] = field(default_factory=list)
    peak_rss_kib: dict[str, int] = field(default_factory=dict)
    soak: dict[str, Any] = field(default_factory=dict)
    help_ms: list[float] = field(default_factory=list)
    load_before: tuple[float, float, float] = (0.0, 0.0, 0.0)
    load_after: tuple[float, float, float] = (0.0, 0.0, 0.0)
    notes: list[str] = field(default_factory=list)
    ledger_records: dict[str, int | None] = field(default_factory=dict)


def _body(messages: list[dict[str, str]] = PROMPT, **extra: Any) -> bytes:
    return json.dumps({"model": gateways.MODEL, "messages": messages, **extra}).encode()


def _kt_target(name: str, kt: Child, cache_mode: str) -> Target:
    return Target(
        name,
        kt.extra["base_url"] + "/v1/openai/chat/completions",
        _body(cachePolicy={"exactCache": cache_mode}),
        {"authorization": f"Bearer {kt.extra['key']}", "x-killtoken-feature": "bench"},
        count_hits=cache_mode != "bypass",
    )


def _targets(upstream: Child, passthrough: Child, kt: Child, litellm: Child | None, latency: float) -> dict[str, Any]:
    """Row name -> (target, pid whose CPU counts)."""
    rows: dict[str, Any] = {
        "direct": (
            Target("direct", upstream.extra["base_url"] + "/chat/completions", _body(), {"authorization": "Bearer x"}),
            None,
        ),
        "passthrough": (
            Target("passthrough", f"http://127.0.0.1:{passthrough.port}/v1/chat/completions", _body()),
            passthrough.pid,
        ),
        "kt": (_kt_target("kt", kt, "bypass"), kt.pid),
        "kt-cache": (_kt_target("kt-cache", kt, "read_write"), kt.pid),
    }
    if litellm is not None:
        body = json.dumps({"model": gateways.litellm_model(latency), "messages": PROMPT}).encode()
        auth = {"authorization": f"Bearer {litellm.extra['key']}"}
        rows["litellm"] = (Target("litellm", litellm.extra["base_url"] + "/chat/completions", body, auth), litellm.pid)
    return rows


async def _block(
    target: Target, pid: int | None, concurrency: int, plan: Plan
) -> tuple[BlockResult, float | None, float]:
    async with Driver(target, concurrency) as driver:
        await driver.run(max(plan.warmup_requests, concurrency * 4), max_seconds=1.0)
        cpu_before = cpu_seconds(pid) if pid else None
        driver_before = self_cpu_seconds()
        result = await driver.run(plan.requests, plan.seconds)
        driver_cpu = self_cpu_seconds() - driver_before
        cpu = cpu_seconds(pid) - cpu_before if pid and cpu_before is not None else None
    return result, cpu, driver_cpu


class _KtUnderTest:
    """The `kt serve` being measured at one latency; with `fresh_kt`, restarted on an empty store per group."""

    def __init__(self, run: Run, upstream: Child, tag: str) -> None:
        self._run, self._upstream, self._tag = run, upstream, tag
        self._child: Child | None = None
        self._started = 0
        self.records: int | None = None  # None: the ledger's files are not a layout this bench can count

    def current(self, fresh: bool) -> Child:
        if self._child is None or fresh:
            self.stop()
            tag = f"{self._tag}-{self._started}"
            self._child = gateways.start_kt(self._run.plan.work, self._upstream.extra["base_url"], tag)
            self._started += 1
        return self._child

    def stop(self) -> None:
        if self._child is not None:
            _remember_peak(self._run, "kt", self._child)
            self._child.stop()
            counted = _ledger_records(Path(self._child.extra["home"]))
            if counted is not None:
                self.records = (self.records or 0) + counted
            self._child = None


async def _matrix(run: Run, latency: float, upstream: Child, passthrough: Child, litellm: Child | None) -> None:
    plan = run.plan
    shuffle = random.Random(f"{latency}")
    kt = _KtUnderTest(run, upstream, f"{latency:g}ms")
    try:
        for round_number in range(plan.rounds):
            for concurrency in plan.concurrencies:
                rows = _targets(upstream, passthrough, kt.current(plan.fresh_kt), litellm, latency)
                order = list(rows)
                shuffle.shuffle(order)
                for row in order:
                    target, pid = rows[row]
                    result, cpu, driver_cpu = await _block(target, pid, concurrency, plan)
                    run.blocks.append(Block(row, latency, concurrency, round_number, result, cpu, driver_cpu))
                    _progress(row, latency, concurrency, round_number, result, cpu)
    finally:
        kt.stop()
    run.ledger_records[f"{latency:g}ms"] = kt.records


def _progress(
    row: str, latency: float, concurrency: int, round_number: int, result: BlockResult, cpu: float | None
) -> None:
    per = f" cpu {cpu / result.requests * 1000:.2f} ms/req" if cpu is not None and result.requests else ""
    errors = f" ERRORS {result.errors}: {result.first_error}" if result.errors else ""
    print(
        f"  {latency:>3g} ms c={concurrency:<3} r{round_number} {row:<11} {result.requests:>6} req "
        f"{result.rps:>8.0f} req/s{per}{errors}",
        file=sys.stderr,
        flush=True,
    )


def _remember_peak(run: Run, name: str, child: Child) -> None:
    run.peak_rss_kib[name] = max(run.peak_rss_kib.get(name, 0), memory_kib(child.pid)["hwm"])


def _ledger_records(home: Path) -> int | None:
    """Records in the ledger's day segments (TinyDB files `ledger/YYYY-MM-DD/seg-*.json`, table
    `requests`); None if there are none in that layout."""
    total = None
    for path in (home / "data" / "ledger").glob("*/seg-*.json"):
        with contextlib.suppress(OSError, ValueError):
            document = json.loads(path.read_text())
            if isinstance(document, dict) and isinstance(document.get("requests"), dict):
                total = (total or 0) + len(document["requests"])
    return total


async def _soak(run: Run, kt: Child) -> None:
    """Unique requests (so a cache fills) through one daemon; RSS sampled every 5% of the way."""
    plan = run.plan
    base = _kt_target("soak", kt, "read_write")

    def body_for(number: int) -> bytes:
        unique = [{"role": "user", "content": f"Say hello in five words. #{number}"}]
        return _body(unique, cachePolicy={"exactCache": "read_write"})

    target = Target("soak", base.url, base.body, base.headers, body_for=body_for)
    samples: list[dict[str, float]] = []
    step = max(1, plan.soak_requests // 20)
    started = time.perf_counter()
    done = 0
    async with Driver(target, 16) as driver:
        while done < plan.soak_requests:
            cpu_before = cpu_seconds(kt.pid)
            left = plan.soak_seconds - (time.perf_counter() - started)
            if left <= 0:
                run.notes.append(f"soak stopped by its time limit after {done} of {plan.soak_requests} requests")
                break
            result = await driver.run(min(step, plan.soak_requests - done), max_seconds=left)
            done += result.requests
            memory = memory_kib(kt.pid)
            samples.append(
                {
                    "requests": done,
                    "rss_mib": memory["rss"] / 1024,
                    "cpu_ms_per_request": (cpu_seconds(kt.pid) - cpu_before) / max(result.requests, 1) * 1000,
                    "rps": result.rps,
                    "errors": result.errors,
                }
            )
    run.soak = {"requests": done, "planned": plan.soak_requests, "samples": samples}


def _time_help(run: Run) -> None:
    command = [*gateways.kt_command(), "--help"]
    for _ in range(6):
        started = time.perf_counter()
        subprocess.run(command, capture_output=True, check=True)
        run.help_ms.append((time.perf_counter() - started) * 1000)
    run.help_ms = run.help_ms[1:]  # the first run warms the disk cache


async def _for_latency(run: Run, latency: float, upstream: Child, litellm: Child | None) -> None:
    passthrough = gateways.start_passthrough(run.plan.work, upstream.extra["base_url"], f"{latency:g}ms")
    try:
        await _matrix(run, latency, upstream, passthrough, litellm)
        _remember_peak(run, "passthrough", passthrough)
    finally:
        passthrough.stop()


async def execute(plan: Plan) -> Run:
    run = Run(plan, load_before=load_average())
    _time_help(run)
    upstreams = {
        latency: gateways.start_upstream(plan.work, latency, plan.usage_variants) for latency in plan.latencies_ms
    }
    litellm = None
    try:
        if plan.litellm_script is not None:
            print("Starting LiteLLM's proxy...", file=sys.stderr, flush=True)
            litellm = gateways.start_litellm(
                plan.work, plan.litellm_script, {lat: up.extra["base_url"] for lat, up in upstreams.items()}
            )
        for latency, upstream in upstreams.items():
            print(f"Upstream latency {latency:g} ms:", file=sys.stderr, flush=True)
            await _for_latency(run, latency, upstream, litellm)
        if litellm is not None:
            _remember_peak(run, "litellm", litellm)
        if plan.soak_requests:
            first = min(upstreams)
            print(f"Memory soak: {plan.soak_requests} requests through kt serve...", file=sys.stderr, flush=True)
            kt = gateways.start_kt(plan.work, upstreams[first].extra["base_url"], "soak")
            try:
                await _soak(run, kt)
            finally:
                kt.stop()
    finally:
        if litellm is not None:
            litellm.stop()
        for upstream in upstreams.values():
            upstream.stop()
    run.load_after = load_average()
    return run


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")
