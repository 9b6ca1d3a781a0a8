"""The Anthropic SDK door: Messages and the model list under every path the SDK produces; the rest of
Anthropic's API (token counting, batches, files, ...) answers 501 in Anthropic's error shape."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from killtoken_proxy.api.dependencies import runtime_of
from killtoken_proxy.api.dialects import ANTHROPIC_MESSAGES_PATHS
from killtoken_proxy.api.door_routes import ALL_METHODS, chat_endpoint, model_by_id, not_proxied_endpoint
from killtoken_proxy.gateway.anthropic_door import ANTHROPIC, PROVIDER
from killtoken_proxy.gateway.auth import resolve_tenant
from killtoken_proxy.gateway.model_catalog import priced_chat_models
from killtoken_proxy.store.tenants import Tenant

router = APIRouter()
chat_router = APIRouter()  # Messages calls alone: the app routes these first (see app.py)
_MODEL_BASES = ("/v1/anthropic/v1", "/v1/anthropic")


def anthropic_tenant(request: Request) -> Tenant:
    return resolve_tenant(runtime_of(request).tenants, request.headers, allow_x_api_key=True)


messages = chat_endpoint(ANTHROPIC, "request-id")  # the Anthropic SDK's `message._request_id`


def _models(request: Request, tenant: Tenant) -> list[dict[str, Any]]:
    """Anthropic `ModelInfo` objects: the models this tenant already called through Anthropic, then the
    Claude models KillToken prices (as on the OpenAI door's list)."""
    runtime = runtime_of(request)
    meta = runtime.credentials.reachable(tenant.id).get(PROVIDER)
    if meta is None:
        return []
    called = sorted(model for provider, model in runtime.ledger.models_called(tenant.id) if provider == PROVIDER)
    names = dict.fromkeys([*called, *priced_chat_models(PROVIDER)])
    return [{"type": "model", "id": name, "display_name": name, "created_at": meta.created_at} for name in names]


async def list_models(request: Request, tenant: Annotated[Tenant, Depends(anthropic_tenant)]) -> dict[str, Any]:
    data = _models(request, tenant)
    return {
        "data": data,
        "has_more": False,
        "first_id": data[0]["id"] if data else None,
        "last_id": data[-1]["id"] if data else None,
    }


async def retrieve_model(
    request: Request, model_id: str, tenant: Annotated[Tenant, Depends(anthropic_tenant)]
) -> dict[str, Any]:
    where = "with this tenant's anthropic credential; GET /v1/models (client.models.list()) lists those that are"
    return model_by_id(_models(request, tenant), model_id, where)


not_proxied = not_proxied_endpoint(
    "the Anthropic door serves messages.create only (POST /v1/messages under base_url "
    "http://<gateway>/v1/anthropic). Keep a direct Anthropic client for token counting, batches, files and the "
    "other endpoints."
)


for path in ANTHROPIC_MESSAGES_PATHS:
    chat_router.add_api_route(path, messages, methods=["POST"])
    router.add_api_route(f"{path}/{{rest:path}}", not_proxied, methods=ALL_METHODS)  # count_tokens, batches
for base in _MODEL_BASES:
    router.add_api_route(f"{base}/models", list_models, methods=["GET"])
    router.add_api_route(f"{base}/models/{{model_id:path}}", retrieve_model, methods=["GET"])
router.add_api_route("/v1/anthropic/{rest:path}", not_proxied, methods=ALL_METHODS)
