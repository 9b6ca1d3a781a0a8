"""The provider-credentials API: store, list and remove credentials; secrets are never returned."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse

from killtoken_proxy.api.dependencies import calling_tenant, runtime_of
from killtoken_proxy.errors import InvalidRequest
from killtoken_proxy.store.tenants import Tenant

router = APIRouter()


@router.post("/v1/provider-credentials")
async def add_credential(request: Request, tenant: Annotated[Tenant, Depends(calling_tenant)]) -> JSONResponse:
    try:
        body = await request.json()
    except ValueError:
        raise InvalidRequest("The request body is not valid JSON.", code="invalid_json") from None
    meta = runtime_of(request).credentials.add(tenant.id, body)
    return JSONResponse(meta.public(), status_code=201)


@router.get("/v1/provider-credentials")
async def list_credentials(request: Request, tenant: Annotated[Tenant, Depends(calling_tenant)]) -> dict[str, Any]:
    return {"data": [m.public() for m in runtime_of(request).credentials.list(tenant.id)]}


@router.delete("/v1/provider-credentials/{credential_id}", status_code=204)
async def remove_credential(
    request: Request, credential_id: str, tenant: Annotated[Tenant, Depends(calling_tenant)]
) -> Response:
    runtime_of(request).credentials.remove(tenant.id, credential_id)
    return Response(status_code=204)
