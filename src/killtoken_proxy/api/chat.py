"""The native chat door `/v1/chat` (the OpenAI SDK drop-in lives in `openai_door`)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from killtoken_proxy.api.dependencies import read_body, runtime_of
from killtoken_proxy.api.json_answer import json_answer
from killtoken_proxy.gateway.doors import NATIVE

router = APIRouter()


@router.post("/v1/chat")
async def native_chat(request: Request) -> Response:
    outcome = await runtime_of(request).gateway.chat(await read_body(request), request.headers, NATIVE)
    return json_answer(outcome.body, outcome.headers)
