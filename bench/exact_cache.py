"""Benchmark (not a test): the exact cache's costs on the request path and at start.

    .venv/bin/python bench/exact_cache.py [entries]

Reports the canonical key's cost, a hit and a miss in the in-memory store, the write (memory part),
and how long a start takes to load `entries` entries back from disk.
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path

from killtoken_proxy.gateway.cache_key import cache_key
from killtoken_proxy.gateway.doors import parse_native
from killtoken_proxy.store.cache_store import CacheEntry, CacheStore
from killtoken_proxy.store.entry_files import EntryFiles

BODY = json.dumps(
    {
        "id": "chatcmpl-x",
        "object": "chat.completion",
        "model": "gpt-4.1-mini",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "word " * 300}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 800, "completion_tokens": 300, "total_tokens": 1100},
    }
).encode()


def per_call_us(fn: object, rounds: int) -> float:
    started = time.perf_counter()
    for _ in range(rounds):
        fn()  # type: ignore[operator]
    return (time.perf_counter() - started) / rounds * 1e6


def entry(i: int) -> CacheEntry:
    now = time.time()
    return CacheEntry(f"{i:064x}", "tn_bench", now, now + 3600, f"req_{i}", "gpt-4.1-mini", "0.00050", BODY)


async def main(count: int) -> None:
    request = parse_native(
        {
            "provider": "openai",
            "model": "gpt-4.1-mini",
            "messages": [
                {"role": "system", "content": "You are terse. " * 40},
                {"role": "user", "content": "Q? " * 100},
            ],
            "temperature": 0.2,
            "max_tokens": 300,
        },
        {},
    )
    print(f"cache key of a ~1.2 KB request: {per_call_us(lambda: cache_key('tn', 'openai', request), 20000):.1f} us")
    with tempfile.TemporaryDirectory() as folder:
        store = CacheStore(EntryFiles(Path(folder)), max_bytes=1 << 40)
        store.start()
        await store.ready()
        started = time.perf_counter()
        for i in range(count):
            store.put(entry(i))
        print(f"put (memory part), {len(BODY)} B answers: {(time.perf_counter() - started) / count * 1e6:.1f} us")
        print(f"hit:  {per_call_us(lambda: store.get('tn_bench', entry(7).key), 100000):.2f} us")
        print(f"miss: {per_call_us(lambda: store.get('tn_bench', 'f' * 64), 100000):.2f} us")
        started = time.perf_counter()
        await store.close()
        print(f"writing {count} entries behind the requests: {time.perf_counter() - started:.2f} s")
        reopened = CacheStore(EntryFiles(Path(folder)), max_bytes=1 << 40)
        started = time.perf_counter()
        await reopened.ready()
        seconds = time.perf_counter() - started
        print(f"start: loading {count} entries ({reopened.total_bytes / 1e6:.1f} MB): {seconds:.2f} s")
        await reopened.close()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 10000))
