"""The chat doors: native `/v1/chat` and the OpenAI SDK drop-in `/v1/openai/chat/completions`."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from killtoken_proxy.api.dependencies import runtime_of
from killtoken_proxy.errors import NotImplementedYet
from killtoken_proxy.gateway.doors import NATIVE, OPENAI

router = APIRouter()


@router.post("/v1/chat")
async def native_chat(request: Request) -> JSONResponse:
    outcome = await runtime_of(request).gateway.chat(await request.body(), request.headers, NATIVE)
    return JSONResponse(outcome.body, headers=outcome.headers)


@router.post("/v1/openai/chat/completions")
@router.post("/v1/openai/v1/chat/completions")
async def openai_chat(request: Request) -> JSONResponse:
    outcome = await runtime_of(request).gateway.chat(await request.body(), request.headers, OPENAI)
    return JSONResponse(outcome.body, headers=outcome.headers)


@router.api_route("/v1/openai/{rest:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
async def openai_unsupported(rest: str) -> JSONResponse:
    raise NotImplementedYet(
        f"`/{rest}` is not proxied: KillToken handles chat completions only. Keep a direct provider "
        "client for the Responses API, embeddings, audio and images."
    )
