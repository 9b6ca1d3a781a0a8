"""Admin API under `/v1/admin/...`: tenants, plans and keys, authorised by the local admin token only."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse

from killtoken_proxy.admin_token import is_admin_token
from killtoken_proxy.api.dependencies import json_body, runtime_of
from killtoken_proxy.errors import KillTokenError
from killtoken_proxy.gateway.auth import bearer_key
from killtoken_proxy.tenant_admin import TenantAdmin


def require_admin(request: Request) -> TenantAdmin:
    runtime = runtime_of(request)
    if not is_admin_token(bearer_key(request.headers), runtime.admin_token):
        raise KillTokenError(
            "Admin endpoints need `Authorization: Bearer <admin token>`; the token is in kt's state "
            "folder (file `admin-token`), and `kt tenants` / `kt keys` send it for you.",
            code="admin_unauthorized",
            status=401,
        )
    return runtime.tenant_admin


Admin = Annotated[TenantAdmin, Depends(require_admin)]
router = APIRouter(prefix="/v1/admin")


@router.get("/tenants")
async def list_tenants(admin: Admin) -> dict[str, Any]:
    return {"data": admin.describe_all()}


@router.post("/tenants")
async def create_tenant(request: Request, admin: Admin) -> JSONResponse:
    tenant, key, plaintext = admin.create(await json_body(request))
    return JSONResponse({"tenant": admin.public(tenant), "key": {**key.public(), "key": plaintext}}, status_code=201)


@router.get("/tenants/{ref}")
async def show_tenant(ref: str, admin: Admin) -> dict[str, Any]:
    return {**admin.public(admin.find(ref)), "keys": [k.public() for k in admin.keys(ref)]}


@router.patch("/tenants/{ref}")
async def update_tenant(ref: str, request: Request, admin: Admin) -> dict[str, Any]:
    return admin.public(admin.update(ref, await json_body(request)))


@router.post("/tenants/{ref}/suspend")
async def suspend_tenant(ref: str, admin: Admin) -> dict[str, Any]:
    return admin.public(admin.set_status(ref, "suspended"))


@router.post("/tenants/{ref}/resume")
async def resume_tenant(ref: str, admin: Admin) -> dict[str, Any]:
    return admin.public(admin.set_status(ref, "active"))


@router.delete("/tenants/{ref}", status_code=204)
async def remove_tenant(ref: str, admin: Admin) -> Response:
    admin.remove(ref)
    return Response(status_code=204)


@router.get("/tenants/{ref}/keys")
async def list_keys(ref: str, admin: Admin) -> dict[str, Any]:
    return {"data": [k.public() for k in admin.keys(ref)]}


@router.post("/tenants/{ref}/keys")
async def create_key(ref: str, request: Request, admin: Admin) -> JSONResponse:
    key, plaintext = admin.issue_key(ref, await json_body(request))
    return JSONResponse({**key.public(), "key": plaintext}, status_code=201)


@router.delete("/tenants/{ref}/keys/{key_id}")
async def revoke_key(ref: str, key_id: str, admin: Admin) -> dict[str, Any]:
    return admin.revoke_key(ref, key_id).public()
