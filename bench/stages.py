"""Microseconds per stage of one chat request, in-process: where the gateway's CPU goes, stage by stage.

`python -m bench.stages` sets up a store with the real `kt` CLI, runs the real app in-process with the
upstream answer canned (no network, no HTTP server), times `Gateway.chat`, and splits that time over
the calls `Gateway._run` makes (its stages, whatever they are on this branch) with cProfile, plus the
functions with the most time of their own. It also times the ledger's batch write as its file grows,
where the ledger has the `record()/flush()` API.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import itertools
import os
import pstats
import secrets
import statistics
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from starlette.datastructures import Headers

from bench.gateways import _lift_rate_limit, kt_command
from bench.upstream import USAGE_VARIANTS, _completion

BODY = (
    b'{"model":"gpt-4.1-mini","messages":[{"role":"system","content":"You are terse."},'
    b'{"role":"user","content":"Say hello in five words."}],"temperature":0.2,'
    b'"cachePolicy":{"exactCache":"bypass"},"metadata":{"feature":"bench"}}'
)


class _CannedClient:
    """Stands in for UpstreamClient.exchange: the fake upstream's answers (token counts vary) without the network."""

    def __init__(self) -> None:
        self._answers = itertools.cycle([_completion(v).split(b"\r\n\r\n", 1)[1] for v in range(USAGE_VARIANTS)])

    async def exchange(
        self, url: str, body: bytes, headers: Mapping[str, str], *, timeout: float | None = None
    ) -> tuple[int, Mapping[str, str], bytes]:
        return 200, {"x-request-id": "req_bench"}, next(self._answers)


def _prepare_home(home: Path) -> str:
    """A store set up through `kt` itself (stable across branches): tenant, openai credential, no rate limit."""
    os.environ.update(
        KILLTOKEN_HOME=str(home),
        KILLTOKEN_MASTER_KEY=secrets.token_urlsafe(16),
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
        KT_BENCH_PROVIDER_KEY="sk-bench-not-a-real-key",
    )
    env = dict(os.environ)
    init = subprocess.run([*kt_command(), "init"], env=env, capture_output=True, text=True, check=True)
    key = next(line.strip() for line in init.stdout.splitlines() if line.strip().startswith("kt_"))
    add = [*kt_command(), "credentials", "add", "openai", "--from-env", "KT_BENCH_PROVIDER_KEY"]
    subprocess.run([*add, "--base-url", "http://127.0.0.1:9/v1", "--json"], env=env, capture_output=True, check=True)
    _lift_rate_limit(env)
    return key


@asynccontextmanager
async def open_gateway(key: str) -> AsyncIterator[tuple[Any, Headers]]:
    """The real app's gateway (lifespan started) with its upstream client answering from memory."""
    from killtoken_proxy.app import create_app
    from killtoken_proxy.settings import Settings

    app = create_app(Settings.from_env())
    async with app.router.lifespan_context(app):
        gateway = app.state.runtime.gateway
        gateway._http.exchange = _CannedClient().exchange
        yield gateway, Headers({"authorization": f"Bearer {key}", "content-type": "application/json"})


async def _chat_us(gateway: Any, headers: Headers, door: Any, calls: int = 2000) -> float:
    samples = []
    for _ in range(7):
        started = time.perf_counter()
        for _ in range(calls):
            await gateway.chat(BODY, headers, door)
        samples.append((time.perf_counter() - started) / calls * 1e6)
    return statistics.median(samples[1:])


async def _profile(gateway: Any, headers: Headers, door: Any, calls: int) -> pstats.Stats:
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(calls):
        await gateway.chat(BODY, headers, door)
    profiler.disable()
    return pstats.Stats(profiler)


def _name(func: tuple[str, int, str]) -> str:
    path, line, name = func
    parts = Path(path).parts
    short = "/".join(parts[parts.index("killtoken_proxy") + 1 :]) if "killtoken_proxy" in parts else Path(path).name
    return f"{name} ({short}:{line})"


def split_by_stage(stats: pstats.Stats) -> tuple[list[tuple[str, float]], list[tuple[str, float]]]:
    """(share of `_run` per direct callee, share of total per function's own time), in percent."""
    table: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    run = next((f for f in table if f[2] == "_run" and f[0].endswith("pipeline.py")), None)
    total = sum(entry[2] for entry in table.values()) or 1.0
    stages = []
    if run is not None:
        run_cumulative = table[run][3] or 1.0
        for func, (_, _, _, _, callers) in table.items():
            if run in callers:
                stages.append((_name(func), callers[run][3] / run_cumulative * 100))
        stages.sort(key=lambda item: -item[1])
    own = sorted(((_name(f), e[2] / total * 100) for f, e in table.items()), key=lambda item: -item[1])
    return stages, own[:15]


async def ledger_batch_ms(record: dict[str, Any], sizes: tuple[int, ...]) -> list[tuple[int, float]]:
    """Cost of writing one batch of 100 records as the month's file holds more records (record/flush API)."""
    from killtoken_proxy.store.ledger import Ledger

    ledger = Ledger(Path(tempfile.mkdtemp(prefix="killtoken-ledger-")))
    out, written = [], 0
    for size in sizes:
        while written <= size:
            step = 100 if written == size else min(5000, size - written)
            started = time.perf_counter()
            for i in range(step):
                ledger.record({**record, "id": f"req_{written + i:09d}"})
            await ledger.flush()
            if written == size:
                out.append((size, (time.perf_counter() - started) * 1000))
            written += step
    await ledger.close()
    return out


async def run(calls: int, ledger_sizes: tuple[int, ...]) -> None:
    from killtoken_proxy.gateway.doors import OPENAI

    key = _prepare_home(Path(tempfile.mkdtemp(prefix="killtoken-stages-")))
    async with open_gateway(key) as (gateway, headers):
        await _chat_us(gateway, headers, OPENAI, 300)  # warm caches, prices, regexes
        per_call = await _chat_us(gateway, headers, OPENAI)
        stages, own = split_by_stage(await _profile(gateway, headers, OPENAI, calls))
    print(f"Gateway.chat on a canned upstream (OpenAI door): {per_call:.1f} us per call\n")
    print("Stages (calls made by Gateway._run), share of its time and estimated us per call:")
    for name, share in stages:
        print(f"  {share:5.1f}%  {share * per_call / 100:7.1f} us  {name}")
    print("\nFunctions with the most time of their own (share of all profiled time):")
    for name, share in own:
        print(f"  {share:5.1f}%  {name}")
    if ledger_sizes:
        record = {"created_at": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime()), "tenant_id": "tn_x"}
        record.update({f"field_{i}": "x" * 20 for i in range(20)})  # about the size of a real record
        try:
            batches = await ledger_batch_ms(record, ledger_sizes)
        except (TypeError, AttributeError) as exc:
            print(f"\nledger: not timed here ({exc}); see bench/ledger.py if this branch has it")
            return
        print()
        for size, ms in batches:
            print(f"ledger: a batch of 100 records into a month file of {size:>7,} records: {ms:8.1f} ms")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.stages", description=__doc__)
    parser.add_argument("--calls", type=int, default=5000, help="calls under the profiler")
    parser.add_argument("--ledger-sizes", type=int, nargs="*", default=[0, 10_000, 50_000])
    args = parser.parse_args(argv)
    asyncio.run(run(args.calls, tuple(args.ledger_sizes)))


if __name__ == "__main__":
    main()
