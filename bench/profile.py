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

from bench.stages import BODY, _prepare_home, open_gateway


async def _profile(calls: int) -> str:
    from pyinstrument import Profiler

    from killtoken_proxy.gateway.doors import OPENAI

    key = _prepare_home(Path(tempfile.mkdtemp(prefix="killtoken-profile-")))
    async with open_gateway(key) as (gateway, headers):
        for _ in range(200):  # warm caches (prices, regexes) before sampling
            await gateway.chat(BODY, headers, OPENAI)
        profiler = Profiler(interval=0.0001, async_mode="disabled")
        profiler.start()
        for _ in range(calls):
            await gateway.chat(BODY, headers, OPENAI)
        profiler.stop()
    return str(profiler.output_text(unicode=True, color=False))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__)
    parser.add_argument("--calls", type=int, default=20_000)
    args = parser.parse_args(argv)
    print(asyncio.run(_profile(args.calls)))


if __name__ == "__main__":
    main()
