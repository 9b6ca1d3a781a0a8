"""`GET /v1/providers`: the providers this gateway calls and the credential fields each one needs."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from killtoken_proxy.api.dependencies import calling_tenant, runtime_of
from killtoken_proxy.store.tenants import Tenant

router = APIRouter()


@router.get("/v1/providers")
async def list_providers(request: Request, tenant: Annotated[Tenant, Depends(calling_tenant)]) -> dict[str, Any]:
    adapters = runtime_of(request).adapters
    return {"data": [{"name": name, **adapter.credential_shape.public()} for name, adapter in adapters.items()]}
