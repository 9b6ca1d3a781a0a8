"""Prices: the tenant's overrides (`/v1/prices`) and the effective price of a provider/model."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response

from killtoken_proxy.api.dependencies import calling_tenant, json_body, runtime_of
from killtoken_proxy.errors import InvalidRequest, NotFound
from killtoken_proxy.gateway.pricing import KNOWN_PROVIDERS
from killtoken_proxy.money import to_decimal
from killtoken_proxy.store.tenants import Tenant

router = APIRouter()

RATE_FIELDS = {"input": "input", "output": "output", "cachedInput": "cached_input", "cacheWrite": "cache_write"}
MAX_RATE = Decimal(1_000_000)  # USD per 1M tokens; anything above is a typo


def _checked(provider: str, model: str) -> tuple[str, str]:
    if provider not in KNOWN_PROVIDERS:
        raise InvalidRequest(
            f"Unknown provider {provider!r}; one of: {', '.join(sorted(KNOWN_PROVIDERS))}.",
            code="invalid_provider",
            param="provider",
        )
    model = model.strip()
    if not model or len(model) > 200:
        raise InvalidRequest("`model` must be 1 to 200 characters.", code="invalid_model", param="model")
    return provider, model


def _rates(body: Any) -> dict[str, Decimal | None]:
    if not isinstance(body, dict):
        raise InvalidRequest('Send {"input": ..., "output": ...} in USD per 1M tokens.', code="invalid_price")
    unknown = sorted(set(body) - set(RATE_FIELDS))
    if unknown:
        raise InvalidRequest(
            f"Unknown field(s) {', '.join(unknown)}; allowed: {', '.join(RATE_FIELDS)}.", code="invalid_price"
        )
    rates: dict[str, Decimal | None] = {}
    for field, name in RATE_FIELDS.items():
        value = body.get(field)
        if value is None:
            if field in ("input", "output"):
                raise InvalidRequest(f"`{field}` (USD per 1M tokens) is required.", code="invalid_price", param=field)
            rates[name] = None
            continue
        rate = None if isinstance(value, bool) else to_decimal(value)
        if rate is None or rate < 0 or rate > MAX_RATE:
            raise InvalidRequest(
                f"`{field}` must be a number of USD per 1M tokens between 0 and {MAX_RATE}, got {value!r}.",
                code="invalid_price",
                param=field,
            )
        rates[name] = rate
    return rates


@router.get("/v1/prices")
async def list_overrides(request: Request, tenant: Annotated[Tenant, Depends(calling_tenant)]) -> dict[str, Any]:
    return {"data": [o.public() for o in runtime_of(request).price_overrides.list(tenant.id)]}


@router.get("/v1/prices/{provider}/{model:path}")
async def effective_price(
    request: Request, provider: str, model: str, tenant: Annotated[Tenant, Depends(calling_tenant)]
) -> dict[str, Any]:
    provider, model = _checked(provider, model)
    table = runtime_of(request).prices.table(tenant.id, provider, model)
    if table is None:
        raise NotFound(
            f"No known price for {provider}/{model}: its calls are recorded as unpriced. "
            f"Set one with `kt prices set {provider} {model} --input ... --output ...`.",
            code="price_not_found",
        )
    return {"provider": provider, "model": model, **table.public()}


@router.put("/v1/prices/{provider}/{model:path}")
async def set_override(
    request: Request, provider: str, model: str, tenant: Annotated[Tenant, Depends(calling_tenant)]
) -> dict[str, Any]:
    provider, model = _checked(provider, model)
    rates = _rates(await json_body(request, parse_float=Decimal))
    input_rate, output_rate = rates["input"], rates["output"]
    assert input_rate is not None and output_rate is not None  # required above
    override = runtime_of(request).price_overrides.set(
        tenant.id,
        provider,
        model,
        input=input_rate,
        output=output_rate,
        cached_input=rates["cached_input"],
        cache_write=rates["cache_write"],
    )
    return override.public()


@router.delete("/v1/prices/{provider}/{model:path}", status_code=204)
async def remove_override(
    request: Request, provider: str, model: str, tenant: Annotated[Tenant, Depends(calling_tenant)]
) -> Response:
    provider, model = _checked(provider, model)
    if not runtime_of(request).price_overrides.remove(tenant.id, provider, model):
        raise NotFound(f"No price override for {provider}/{model}.", code="price_not_found")
    return Response(status_code=204)
