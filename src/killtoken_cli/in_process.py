"""Run the daemon's FastAPI app inside the CLI process when no daemon is running (same code, same errors)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

import httpx

T = TypeVar("T")


class InProcessTransport(httpx.BaseTransport):
    """A sync httpx transport that serves requests from an ASGI app on a private event-loop thread."""

    def __init__(self, app: Any) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="kt-in-process", daemon=True)
        self._thread.start()
        self._lifespan = app.router.lifespan_context(app)
        try:
            self._run(self._lifespan.__aenter__())
        except BaseException:
            self._stop_loop()
            raise
        self._asgi = httpx.ASGITransport(app=app)

    def _run(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        async def call() -> tuple[int, httpx.Headers, bytes]:
            inner = httpx.Request(request.method, request.url, headers=request.headers, content=request.read())
            response = await self._asgi.handle_async_request(inner)
            return response.status_code, response.headers, await response.aread()

        status, headers, content = self._run(call())
        return httpx.Response(status, headers=headers, content=content, request=request)

    def close(self) -> None:
        if self._thread.is_alive():
            try:
                self._run(self._lifespan.__aexit__(None, None, None))
            finally:
                self._stop_loop()

    def _stop_loop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()
