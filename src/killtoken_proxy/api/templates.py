"""Prompt templates of the calling tenant: create, list, show (any version), PATCH a new version, render."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse

from killtoken_proxy.api.dependencies import calling_tenant, json_body, runtime_of
from killtoken_proxy.errors import InvalidRequest
from killtoken_proxy.gateway.templates import public
from killtoken_proxy.store.tenants import Tenant

router = APIRouter()
TenantDep = Annotated[Tenant, Depends(calling_tenant)]


@router.post("/v1/templates")
async def create_template(request: Request, tenant: TenantDep) -> JSONResponse:
    template = runtime_of(request).templates.create(tenant.id, await json_body(request))
    return JSONResponse(public(template), status_code=201)


@router.get("/v1/templates")
async def list_templates(request: Request, tenant: TenantDep) -> dict[str, Any]:
    return {"data": [public(t) for t in runtime_of(request).templates.of_tenant(tenant.id)]}


@router.get("/v1/templates/{ref}")
async def get_template(
    request: Request, ref: str, tenant: TenantDep, version: Annotated[int | None, Query(ge=1)] = None
) -> dict[str, Any]:
    """`ref` is a `tpl_` id or the template's name; `?version=N` shows an older version."""
    templates = runtime_of(request).templates
    template = templates.get(tenant.id, ref)
    return public(template, templates.version(template, version))


@router.patch("/v1/templates/{ref}")
async def update_template(request: Request, ref: str, tenant: TenantDep) -> dict[str, Any]:
    return public(runtime_of(request).templates.update(tenant.id, ref, await json_body(request)))


@router.delete("/v1/templates/{ref}", status_code=204)
async def remove_template(request: Request, ref: str, tenant: TenantDep) -> Response:
    runtime_of(request).templates.remove(tenant.id, ref)
    return Response(status_code=204)


@router.post("/v1/templates/{ref}/render")
async def render_template(request: Request, ref: str, tenant: TenantDep) -> dict[str, Any]:
    """The messages a chat request naming this template would send, with `{"variables": {...}, "version"?: N}`."""
    body = await json_body(request)
    if not isinstance(body, dict):
        raise InvalidRequest("The request body must be a JSON object.")
    templates = runtime_of(request).templates
    template = templates.get(tenant.id, ref)
    use, messages = templates.render(tenant.id, template.id, body.get("version"), body.get("variables"))
    return {**public(template, templates.version(template, use.version)), "messages": messages}
