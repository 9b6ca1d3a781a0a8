"""The chat doors: native `/v1/chat` and the OpenAI SDK drop-in `/v1/openai/chat/completions`."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from killtoken_proxy import json_codec
from killtoken_proxy.api.dependencies import runtime_of
from killtoken_proxy.errors import NotImplementedYet
from killtoken_proxy.gateway.doors import NATIVE, OPENAI
from killtoken_proxy.gateway.pipeline import ChatOutcome

router = APIRouter()


def _answer(outcome: ChatOutcome) -> Response:
    # Serialised with orjson, not JSONResponse's `json.dumps`: the body is the largest thing we encode.
    return Response(json_codec.dumps(outcome.body), media_type="application/json", headers=outcome.headers)


@router.post("/v1/chat")
async def native_chat(request: Request) -> Response:
    return _answer(await runtime_of(request).gateway.chat(await request.body(), request.headers, NATIVE))


@router.post("/v1/openai/chat/completions")
@router.post("/v1/openai/v1/chat/completions")
async def openai_chat(request: Request) -> Response:
    return _answer(await runtime_of(request).gateway.chat(await request.body(), request.headers, OPENAI))


@router.api_route("/v1/openai/{rest:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
async def openai_unsupported(rest: str) -> JSONResponse:
    raise NotImplementedYet(
        f"`/{rest}` is not proxied: KillToken handles chat completions only. Keep a direct provider "
        "client for the Responses API, embeddings, audio and images."
    )
