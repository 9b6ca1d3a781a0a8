"""`python -m bench.profile`: pyinstrument's call tree of `Gateway.chat`, in-process, on a canned upstream.

Needs the `bench` extra (`pip install -e '.[bench]'`). For the whole daemon under load (uvicorn, aiohttp,
the ledger writer thread) use py-spy on a running `kt serve`:
`py-spy record --format speedscope -o kt.json --pid <pid>` while `python -m bench --quick` drives it.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from pathlib import Path
from typing import Any

from starlette.datastructures import Headers

from bench.stages import BODY, _CannedClient, _open_runtime


async def _profile(runtime: Any, key: str, calls: int) -> str:
    from pyinstrument import Profiler

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
    for _ in range(200):  # warm caches (prices, regexes) before sampling
        await gateway.chat(BODY, headers, OPENAI)
    profiler = Profiler(interval=0.0001, async_mode="disabled")
    profiler.start()
    for _ in range(calls):
        await gateway.chat(BODY, headers, OPENAI)
    profiler.stop()
    await runtime.ledger.flush()
    await client.aclose()
    return str(profiler.output_text(unicode=True, color=False))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__)
    parser.add_argument("--calls", type=int, default=20_000)
    args = parser.parse_args(argv)
    runtime, key = _open_runtime(Path(tempfile.mkdtemp(prefix="killtoken-profile-")))
    try:
        print(asyncio.run(_profile(runtime, key, args.calls)))
    finally:
        runtime.close()


if __name__ == "__main__":
    main()
