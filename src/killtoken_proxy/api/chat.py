"""The native chat door `/v1/chat` (the SDK drop-ins live in `openai_door` and `anthropic_door`)."""

from __future__ import annotations

from fastapi import APIRouter

from killtoken_proxy.api.door_routes import chat_endpoint
from killtoken_proxy.gateway.doors import NATIVE

router = APIRouter()
router.add_api_route("/v1/chat", chat_endpoint(NATIVE), methods=["POST"])
