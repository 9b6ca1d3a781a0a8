"""The floor: a bare FastAPI pass-through (uvloop + httptools + orjson, aiohttp client), no gateway work.

It parses the body, forwards it to the upstream and returns the answer, which is the least any
Python gateway does; KillToken's CPU per request is compared against it.
Run: `python -m bench.passthrough --port N --upstream http://127.0.0.1:M/v1`.
"""

from __future__ import annotations

import argparse
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp
import orjson
import uvicorn
from fastapi import FastAPI, Request, Response


def create_app(upstream: str) -> FastAPI:
    session: dict[str, aiohttp.ClientSession] = {}

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        session["client"] = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=200))
        yield
        await session["client"].close()

    app = FastAPI(lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)

    @app.post("/v1/chat/completions")
    async def chat(request: Request) -> Response:
        body = orjson.loads(await request.body())
        async with session["client"].post(
            upstream + "/chat/completions",
            data=orjson.dumps(body),
            headers={"content-type": "application/json", "authorization": "Bearer sk-bench"},
        ) as answer:
            payload = orjson.loads(await answer.read())
        return Response(orjson.dumps(payload), status_code=answer.status, media_type="application/json")

    return app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.passthrough", description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--upstream", required=True, help="base URL ending in /v1")
    args = parser.parse_args(argv)
    try:
        import uvloop  # noqa: F401

        loop = "uvloop"
    except ImportError:
        loop = "asyncio"
    uvicorn.run(
        create_app(args.upstream.rstrip("/")),
        host="127.0.0.1",
        port=args.port,
        loop=loop,
        http="httptools",
        access_log=False,
        log_level="warning",
    )


if __name__ == "__main__":
    main()
