"""The OpenAI SDK drop-in: chat completions and the model list under every base URL users set; the rest 501."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from killtoken_proxy.api.dependencies import calling_tenant, runtime_of
from killtoken_proxy.api.dialects import OPENAI_BASES, OPENAI_UNSUPPORTED
from killtoken_proxy.api.door_routes import ALL_METHODS, chat_endpoint, model_by_id, not_proxied_endpoint
from killtoken_proxy.gateway.doors import OPENAI
from killtoken_proxy.gateway.model_catalog import reachable_models
from killtoken_proxy.providers.registry import CONTRACT_PROVIDERS
from killtoken_proxy.store.tenants import Tenant

router = APIRouter()
chat_router = APIRouter()  # the chat calls alone: the app routes these first (see app.py)
chat_completions = chat_endpoint(OPENAI, "x-request-id")  # the OpenAI SDKs' `completion._request_id`


def _models(request: Request, tenant: Tenant) -> list[dict[str, Any]]:
    runtime = runtime_of(request)
    return reachable_models(
        runtime.credentials.reachable(tenant.id),
        {*CONTRACT_PROVIDERS, *runtime.adapters},
        runtime.ledger.models_called(tenant.id),
    )


async def list_models(request: Request, tenant: Annotated[Tenant, Depends(calling_tenant)]) -> dict[str, Any]:
    return {"object": "list", "data": _models(request, tenant)}


async def retrieve_model(
    request: Request, model_id: str, tenant: Annotated[Tenant, Depends(calling_tenant)]
) -> dict[str, Any]:
    where = "with this tenant's credentials; GET /models lists those that are"
    return model_by_id(_models(request, tenant), model_id, where)


not_proxied = not_proxied_endpoint(
    "KillToken handles chat completions only. Keep a direct provider client for the Responses API, embeddings, "
    "audio, images, files and the other endpoints."
)


for base in OPENAI_BASES:
    chat_router.add_api_route(f"{base}/chat/completions", chat_completions, methods=["POST"])
    router.add_api_route(f"{base}/models", list_models, methods=["GET"])
    router.add_api_route(f"{base}/models/{{model_id:path}}", retrieve_model, methods=["GET"])
    # Stored-completion management (`client.chat.completions.list/retrieve/update/delete`) is not proxied.
    router.add_api_route(f"{base}/chat/completions", not_proxied, methods=["GET"])
    router.add_api_route(f"{base}/chat/completions/{{rest:path}}", not_proxied, methods=ALL_METHODS)
    router.add_api_route(f"{base}/models/{{rest:path}}", not_proxied, methods=["DELETE"])
    for resource in OPENAI_UNSUPPORTED:
        router.add_api_route(f"{base}/{resource}", not_proxied, methods=ALL_METHODS)
        router.add_api_route(f"{base}/{resource}/{{rest:path}}", not_proxied, methods=ALL_METHODS)
router.add_api_route("/v1/openai/{rest:path}", not_proxied, methods=ALL_METHODS)
