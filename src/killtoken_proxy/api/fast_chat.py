"""The chat doors as a raw ASGI middleware in front of FastAPI's routing: the same gateway call and answer
bytes, without route matching, request objects and response classes (profiled: most of the framework's
share of a chat call). Every other path and method falls through to the FastAPI app unchanged."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from killtoken_proxy import json_codec
from killtoken_proxy.api.dependencies import read_capped
from killtoken_proxy.api.dialects import ANTHROPIC_MESSAGES_PATHS, OPENAI_BASES
from killtoken_proxy.api.error_rendering import render_for_path
from killtoken_proxy.errors import KillTokenError
from killtoken_proxy.gateway.anthropic_door import ANTHROPIC
from killtoken_proxy.gateway.doors import NATIVE, OPENAI, Door

log = logging.getLogger("killtoken")

ChatRoute = tuple[Door, str | None]  # the door, and the header its SDK reads as `_request_id`


def chat_routes() -> dict[str, ChatRoute]:
    routes: dict[str, ChatRoute] = {"/v1/chat": (NATIVE, None)}
    routes.update({f"{base}/chat/completions": (OPENAI, "x-request-id") for base in OPENAI_BASES})
    routes.update({path: (ANTHROPIC, "request-id") for path in ANTHROPIC_MESSAGES_PATHS})
    return routes


class FastChat:
    def __init__(self, app: ASGIApp, routes: dict[str, ChatRoute]) -> None:
        self.app = app
        self.routes = routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        route = self.routes.get(scope["path"]) if scope["type"] == "http" and scope["method"] == "POST" else None
        if route is None:
            await self.app(scope, receive, send)
            return
        try:
            await self._chat(scope, receive, send, *route)
        except KillTokenError as error:
            await render_for_path(scope["path"], error)(scope, receive, send)
        except _ClientGone:
            return  # nobody is left to answer
        except Exception:
            log.exception("unexpected error on POST %s", scope["path"])  # a bug: the traceback is logged only
            bug = KillTokenError("Internal error in KillToken.", code="internal_error", status=500)
            await render_for_path(scope["path"], bug)(scope, receive, send)

    async def _chat(self, scope: Scope, receive: Receive, send: Send, door: Door, id_header: str | None) -> None:
        runtime = scope["app"].state.runtime
        headers = Headers(scope=scope)
        raw = await read_capped(_body(receive), headers.get("content-length", ""), runtime.settings.max_body_bytes)
        outcome = await runtime.gateway.chat(raw, headers, door)
        answer = outcome.headers
        if id_header is not None:
            answer = {**answer, id_header: answer["x-killtoken-request-id"]}
        body = json_codec.dumps(outcome.body)
        raw_headers: list[tuple[bytes, bytes]] = [
            (name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in answer.items()
        ]
        raw_headers += [(b"content-length", str(len(body)).encode()), (b"content-type", b"application/json")]
        await send({"type": "http.response.start", "status": 200, "headers": raw_headers})
        await send({"type": "http.response.body", "body": body})


class _ClientGone(Exception):
    pass


async def _body(receive: Receive) -> AsyncIterator[bytes]:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise _ClientGone
        yield message.get("body", b"")
        if not message.get("more_body", False):
            return
