"""What the SDK doors share: the chat endpoint (the KillToken request id also under the SDK's own header),
model lookup by id, and the 501 for endpoints a door does not proxy."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import Request, Response
from fastapi.responses import JSONResponse

from killtoken_proxy.api.dependencies import read_body, runtime_of
from killtoken_proxy.api.json_answer import json_answer
from killtoken_proxy.errors import NotFound, NotImplementedYet
from killtoken_proxy.gateway.doors import Door

ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]


def chat_endpoint(door: Door, request_id_header: str | None = None) -> Callable[[Request], Awaitable[Response]]:
    """The door's chat route; `request_id_header` is the header the door's SDK reads as `_request_id`."""

    async def chat(request: Request) -> Response:
        outcome = await runtime_of(request).gateway.chat(await read_body(request), request.headers, door)
        headers = outcome.headers
        if request_id_header is not None:
            headers = {**headers, request_id_header: headers["x-killtoken-request-id"]}
        return json_answer(outcome.body, headers)

    return chat


def model_by_id(models: list[dict[str, Any]], model_id: str, where: str) -> dict[str, Any]:
    """One model of a door's list, or 404 `model_not_found` saying where the list is."""
    found = next((m for m in models if m["id"] == model_id), None)
    if found is None:
        raise NotFound(f"Model {model_id!r} is not reachable {where}.", code="model_not_found", param="model")
    return found


def not_proxied_endpoint(what_to_do: str) -> Callable[[Request], Awaitable[JSONResponse]]:
    """501 for endpoints the door does not proxy; `x-should-retry: false` because retrying will not help."""

    async def not_proxied(request: Request) -> JSONResponse:
        raise NotImplementedYet(
            f"{request.method} {request.url.path} is not proxied: {what_to_do}",
            headers={"x-should-retry": "false"},
        )

    return not_proxied
