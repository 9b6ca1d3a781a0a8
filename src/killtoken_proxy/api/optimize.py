"""`POST /v1/optimize/preview`: what an optimization mode would do to a chat request, without calling anyone."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from killtoken_proxy.api.dependencies import calling_tenant, json_body, runtime_of
from killtoken_proxy.errors import InvalidRequest
from killtoken_proxy.gateway import request_fields
from killtoken_proxy.gateway.doors import parse_openai
from killtoken_proxy.gateway.optimize.engine import OPTIMIZERS
from killtoken_proxy.store.tenants import Tenant

router = APIRouter()
PREVIEW_DEFAULT_MODE = "balanced"  # previewing measure_only would show nothing


@router.post("/v1/optimize/preview")
async def preview(request: Request, tenant: Annotated[Tenant, Depends(calling_tenant)]) -> dict[str, Any]:
    """Body: a chat request (native or OpenAI shape, a template allowed). The mode comes from
    `optimizationMode` or the mode header, else `balanced`. Prices use the routed provider when it is known."""
    runtime = runtime_of(request)
    body = request_fields.require_object(await json_body(request))
    body, template = runtime.templates.expand(tenant.id, body, request.headers)
    if body.get("optimizationMode") is None and not request.headers.get(request_fields.MODE_HEADER):
        body = {**body, "optimizationMode": PREVIEW_DEFAULT_MODE}
    chat = parse_openai(body, request.headers)
    try:
        chosen = runtime.gateway.route_for(tenant, chat.model, chat.provider, request.headers, template)
        provider, model = chosen.provider, chosen.model
    except InvalidRequest:
        provider, model = None, chat.model  # an unroutable model is still worth counting, just not pricing
    report = runtime.optimizer.report(chat.messages, chat.optimization_mode, tenant.id, provider, model)
    return {
        "provider": provider,
        "model": model,
        "template": template.to_json() if template else None,
        "original": chat.messages,
        "optimized": report.messages,
        "optimization": report.to_json(),
        "optimizers": [{"name": o.name, "mode": o.mode, "summary": o.summary} for o in OPTIMIZERS],
    }
