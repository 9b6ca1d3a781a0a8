"""`GET/PATCH /v1/ledger/settings`: the tenant's ledger options (whether messages and answers are stored)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from killtoken_proxy.api.dependencies import calling_tenant, json_body, runtime_of
from killtoken_proxy.errors import InvalidRequest
from killtoken_proxy.store.tenants import Tenant

router = APIRouter()


@router.get("/v1/ledger/settings")
async def get_settings(request: Request, tenant: Annotated[Tenant, Depends(calling_tenant)]) -> dict[str, Any]:
    return runtime_of(request).tenant_options.public(tenant.id)


@router.patch("/v1/ledger/settings")
async def update_settings(request: Request, tenant: Annotated[Tenant, Depends(calling_tenant)]) -> dict[str, Any]:
    body = await json_body(request)
    if not isinstance(body, dict) or set(body) - {"storeContent"} or not isinstance(body.get("storeContent"), bool):
        raise InvalidRequest(
            'Send {"storeContent": true} or {"storeContent": false}.', code="invalid_settings", param="storeContent"
        )
    options = runtime_of(request).tenant_options
    options.set_store_content(tenant.id, body["storeContent"])
    return options.public(tenant.id)
