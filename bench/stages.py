"""Microseconds per stage of one chat request, in-process: where the gateway's CPU goes, stage by stage.

`python -m bench.stages` times each step of `Gateway._run` on a realistic request (no network: the
upstream answer is canned), the whole `Gateway.chat`, and the ledger writer's batch cost as its
monthly file grows. Numbers are CPU-bound medians; compare them within one run.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import secrets
import statistics
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from starlette.datastructures import Headers

from bench.upstream import OK as UPSTREAM_ANSWER
from bench.upstream import USAGE_VARIANTS, _completion

BODY = (
    b'{"model":"gpt-4.1-mini","messages":[{"role":"system","content":"You are terse."},'
    b'{"role":"user","content":"Say hello in five words."}],"temperature":0.2,'
    b'"cachePolicy":{"exactCache":"bypass"},"metadata":{"feature":"bench"}}'
)
UPSTREAM_BODY = UPSTREAM_ANSWER.split(b"\r\n\r\n", 1)[1]


def _per_call_us(fn: Callable[[], object], seconds: float = 0.3) -> float:
    """Median over 5 timed batches, each about `seconds / 5` long."""
    number = 1
    while True:
        started = time.perf_counter()
        for _ in range(number):
            fn()
        if time.perf_counter() - started > 0.02:
            break
        number *= 2
    samples = []
    for _ in range(5):
        started = time.perf_counter()
        for _ in range(number):
            fn()
        samples.append((time.perf_counter() - started) / number * 1e6)
    return statistics.median(samples)


def _open_runtime(home: Path) -> Any:
    os.environ["KILLTOKEN_HOME"] = str(home)
    os.environ["KILLTOKEN_MASTER_KEY"] = secrets.token_urlsafe(16)
    os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    from killtoken_proxy.bootstrap import ensure_default_tenant
    from killtoken_proxy.runtime import Runtime
    from killtoken_proxy.settings import Settings

    runtime = Runtime(Settings.from_env())
    runtime.open()
    key = ensure_default_tenant(runtime).key
    tenant = runtime.tenants.by_name("default")
    assert key is not None and tenant is not None
    runtime.credentials.add(
        tenant.id, {"provider": "openai", "apiKey": "sk-bench", "config": {"baseUrl": "http://127.0.0.1:9/v1"}}
    )
    return runtime, key


class _CannedClient:
    """Stands in for UpstreamClient.exchange: the fake upstream's answers (token counts vary) without the network."""

    def __init__(self) -> None:
        self._answers = itertools.cycle([_completion(v).split(b"\r\n\r\n", 1)[1] for v in range(USAGE_VARIANTS)])

    async def exchange(
        self, url: str, body: bytes, headers: Mapping[str, str], *, timeout: float | None = None
    ) -> tuple[int, Mapping[str, str], bytes]:
        return 200, {"x-request-id": "req_bench"}, next(self._answers)


def stage_table(runtime: Any, key: str) -> tuple[list[tuple[str, float]], dict[str, Any]]:
    from killtoken_proxy import json_codec
    from killtoken_proxy.gateway import pipeline, request_fields
    from killtoken_proxy.gateway.auth import resolve_tenant
    from killtoken_proxy.gateway.cache_key import cache_key
    from killtoken_proxy.gateway.doors import OPENAI
    from killtoken_proxy.gateway.metrics import CallMetrics, header_value
    from killtoken_proxy.gateway.pricing import cost_usd
    from killtoken_proxy.gateway.routing import route

    headers = Headers(
        {"authorization": f"Bearer {key}", "content-type": "application/json", "x-killtoken-feature": "bench"}
    )
    body = json_codec.loads(BODY)
    tenant = resolve_tenant(runtime.tenants, headers)
    request = OPENAI.parse(body, headers)
    adapter = runtime.adapters["openai"]
    credential = runtime.credentials.active(tenant.id, "openai")
    upstream = json_codec.loads(UPSTREAM_BODY)
    result = adapter.from_response(request, dict(upstream))
    call = pipeline.Call(
        door="openai", tenant=tenant, request=request, provider="openai", adapter=adapter, credential=credential
    )
    cost = cost_usd("openai", result.model, result.usage)

    def metrics() -> dict[str, Any]:
        return CallMetrics(
            request_id=call.request_id,
            provider="openai",
            model=result.model,
            feature="bench",
            optimization_mode="measure_only",
            usage=result.usage,
            cost_usd=cost,
            cache_status="bypass",
            total_ms=1.0,
            upstream_ms=0.5,
        ).to_json()

    built = metrics()
    fresh = iter(range(10**9))

    def price_miss() -> object:  # real traffic: token counts rarely repeat, so the LRU rarely hits
        n = next(fresh)
        return cost_usd("openai", result.model, replace(result.usage, input_tokens=1000 + n))

    stages: list[tuple[str, Callable[[], object]]] = [
        ("Call() (request id, timestamp)", lambda: pipeline.Call(door="openai")),
        ("parse JSON body", lambda: request_fields.require_object(json_codec.loads(BODY))),
        ("auth: resolve_tenant (sha256 + index)", lambda: resolve_tenant(runtime.tenants, headers)),
        ("door parse (OpenAI)", lambda: OPENAI.parse(body, headers)),
        (
            "route",
            lambda: route(request.model, None, headers, runtime.adapters, runtime.credentials.providers_of(tenant.id)),
        ),
        ("credential lookup (index + secret)", lambda: runtime.credentials.active(tenant.id, "openai")),
        ("fingerprint: cache_key (sha256)", lambda: cache_key(tenant.id, "openai", request)),
        ("adapter.to_request (body JSON)", lambda: adapter.to_request(request, credential)),
        (
            "upstream answer: parse + from_response",
            lambda: adapter.from_response(request, json_codec.loads(UPSTREAM_BODY)),
        ),
        ("price lookup (lru_cache hit)", lambda: cost_usd("openai", result.model, result.usage)),
        ("price lookup (new token counts)", price_miss),
        ("CallMetrics(...).to_json()", metrics),
        ("x-killtoken-metrics header", lambda: header_value(built)),
        (
            "ledger record build",
            lambda: {**call.ledger_record(), **pipeline._ledger_fields(built, result), "status": 200},
        ),
        ("render + response JSON", lambda: json_codec.dumps(OPENAI.render(upstream, built))),
    ]
    record = {**call.ledger_record(), **pipeline._ledger_fields(built, result), "status": 200}
    return [(name, _per_call_us(fn)) for name, fn in stages], record


async def whole_chat_us(runtime: Any, key: str) -> float:
    """Gateway.chat end to end on a canned upstream (no HTTP server, no network), per call."""
    from killtoken_proxy.gateway.doors import OPENAI
    from killtoken_proxy.gateway.pipeline import Gateway
    from killtoken_proxy.upstream_client import UpstreamClient

    client = UpstreamClient(connect_timeout=5, read_timeout=5)
    client.exchange = _CannedClient().exchange  # type: ignore[method-assign]
    gateway = Gateway(
        tenants=runtime.tenants,
        credentials=runtime.credentials,
        adapters=runtime.adapters,
        ledger=runtime.ledger,
        http=client,
    )
    headers = Headers({"authorization": f"Bearer {key}", "content-type": "application/json"})
    samples = []
    for _ in range(7):
        started = time.perf_counter()
        for _ in range(2000):
            await gateway.chat(BODY, headers, OPENAI)
        samples.append((time.perf_counter() - started) / 2000 * 1e6)
        await runtime.ledger.flush()  # persist outside the timed loop (one batch)
    await client.aclose()
    return statistics.median(samples[1:])


async def ledger_batch_ms(record: dict[str, Any], sizes: tuple[int, ...]) -> list[tuple[int, float]]:
    """Cost of writing one batch of 100 records as the month's file holds more records."""
    from killtoken_proxy.store.ledger import Ledger

    ledger = Ledger(Path(tempfile.mkdtemp(prefix="killtoken-ledger-")))  # not started: flush() writes inline

    async def write(count: int, tag: str) -> None:
        for i in range(count):
            ledger.record({**record, "id": f"req_{tag}_{i}"})
        await ledger.flush()

    out, written = [], 0
    for size in sizes:
        while written < size:
            step = min(5000, size - written)
            await write(step, f"fill{written}")
            written += step
        started = time.perf_counter()
        await write(100, f"timed{size}")
        written += 100
        out.append((size, (time.perf_counter() - started) * 1000))
    await ledger.close()
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.stages", description=__doc__)
    parser.add_argument("--ledger-sizes", type=int, nargs="*", default=[0, 10_000, 50_000])
    args = parser.parse_args(argv)
    home = Path(tempfile.mkdtemp(prefix="killtoken-stages-"))
    runtime, key = _open_runtime(home)
    try:
        rows, record = stage_table(runtime, key)
        whole = asyncio.run(whole_chat_us(runtime, key))
        ledger = asyncio.run(ledger_batch_ms(record, tuple(args.ledger_sizes)))
    finally:
        runtime.close()
    width = max(len(name) for name, _ in rows)
    for name, us in rows:
        print(f"{name:<{width}}  {us:8.1f} us")
    paid = sum(us for name, us in rows if "lru_cache hit" not in name)  # real traffic misses the price LRU
    print(f"{'sum of the stages (price: new token counts)':<{width}}  {paid:8.1f} us")
    print(
        f"{'Gateway.chat on a canned upstream':<{width}}  {whole:8.1f} us  (stages + aiohttp-free send + ledger queue)"
    )
    for size, ms in ledger:
        print(
            f"ledger: a batch of 100 records into a month file of {size:>7,} records:"
            f" {ms:8.1f} ms ({ms * 10:.0f} us/record)"
        )


if __name__ == "__main__":
    main()
