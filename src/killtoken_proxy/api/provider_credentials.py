"""The provider-credentials API: store, read, change, test and remove credentials; secrets are never returned."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse

from killtoken_proxy.api.dependencies import calling_tenant, json_body, runtime_of
from killtoken_proxy.credential_probe import probe, probe_model
from killtoken_proxy.errors import InvalidRequest
from killtoken_proxy.store.tenants import Tenant

router = APIRouter()
CallingTenant = Annotated[Tenant, Depends(calling_tenant)]


@router.post("/v1/provider-credentials")
async def add_credential(request: Request, tenant: CallingTenant) -> JSONResponse:
    meta = runtime_of(request).credentials.add(tenant.id, await json_body(request))
    return JSONResponse(meta.public(), status_code=201)


@router.get("/v1/provider-credentials")
async def list_credentials(request: Request, tenant: CallingTenant) -> dict[str, Any]:
    return {"data": [m.public() for m in runtime_of(request).credentials.list(tenant.id)]}


@router.get("/v1/provider-credentials/{credential_id}")
async def get_credential(request: Request, credential_id: str, tenant: CallingTenant) -> dict[str, Any]:
    return runtime_of(request).credentials.get(tenant.id, credential_id).public()


@router.patch("/v1/provider-credentials/{credential_id}")
async def update_credential(request: Request, credential_id: str, tenant: CallingTenant) -> dict[str, Any]:
    return runtime_of(request).credentials.update(tenant.id, credential_id, await json_body(request)).public()


@router.delete("/v1/provider-credentials/{credential_id}", status_code=204)
async def remove_credential(request: Request, credential_id: str, tenant: CallingTenant) -> Response:
    runtime_of(request).credentials.remove(tenant.id, credential_id)
    return Response(status_code=204)


@router.post("/v1/provider-credentials/{credential_id}/test")
async def test_credential(request: Request, credential_id: str, tenant: CallingTenant) -> dict[str, Any]:
    runtime = runtime_of(request)
    credential = runtime.credentials.credential(tenant.id, credential_id)
    body = await json_body(request) or {}
    if not isinstance(body, dict) or set(body) - {"model"}:
        raise InvalidRequest("The body may only hold an optional `model` to test with.", param="model")
    model = probe_model(credential, body.get("model"))
    return (await probe(runtime.http, runtime.adapters[credential.provider], credential, model)).public()
