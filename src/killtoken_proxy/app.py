"""`create_app(settings)`: builds the FastAPI app; the store and clients open in its lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager

from fastapi import FastAPI

from killtoken_proxy import __version__
from killtoken_proxy.api import (
    admin,
    analytics,
    anthropic_door,
    cache,
    chat,
    error_rendering,
    exports,
    health,
    ledger_settings,
    openai_door,
    optimize,
    prices,
    provider_credentials,
    providers,
    reports,
    requests_history,
    templates,
)
from killtoken_proxy.api.fast_chat import FastChat, chat_routes
from killtoken_proxy.clock import Clock
from killtoken_proxy.providers.base import ProviderAdapter
from killtoken_proxy.runtime import Runtime
from killtoken_proxy.settings import Settings


def create_app(
    settings: Settings, adapters: Mapping[str, ProviderAdapter] | None = None, clock: Clock | None = None
) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = Runtime(settings, adapters, clock)
        runtime.open()
        try:
            await runtime.start()
            app.state.runtime = runtime
            yield
        finally:
            await runtime.stop()
            runtime.close()

    app = FastAPI(
        title="KillToken",
        version=__version__,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    error_rendering.install(app)
    # Chat calls skip FastAPI's routing: nearly every call is one of these exact POST paths. The routers
    # below still declare them (OpenAPI, and any path the middleware does not take).
    app.add_middleware(FastChat, routes=chat_routes())
    for hot in (openai_door.chat_router, chat.router, anthropic_door.chat_router):
        app.include_router(hot)
    # The SDK doors go last: their 501 catch-alls must not shadow any other route.
    for module in (
        health,
        admin,
        requests_history,
        provider_credentials,
        providers,
        cache,
        templates,
        optimize,
        analytics,
        exports,
        reports,
        prices,
        ledger_settings,
        anthropic_door,
        openai_door,
    ):
        app.include_router(module.router)
    return app
