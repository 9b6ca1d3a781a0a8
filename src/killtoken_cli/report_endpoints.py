"""The ledger's API calls as data: history filters, analytics, reports, ledger settings and price overrides."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from killtoken_cli.endpoints import Endpoint, Reply, checked

_QUERY_NAMES = {"start": "from", "end": "to"}  # `from` is a Python keyword


def params_of(**values: Any) -> dict[str, Any]:
    return {_QUERY_NAMES.get(k, k): v for k, v in values.items() if v is not None}


def _price_path(provider: str, model: str) -> str:
    return f"/v1/prices/{quote(provider, safe='')}/{quote(model, safe='/')}"


def list_requests(*, limit: int = 50, before: str | None = None, **filters: str | None) -> Endpoint[dict[str, Any]]:
    """One page, newest first. Filters: feature, provider, model, status, cache_status, start, end, period."""
    return Endpoint("GET", "/v1/requests", checked, params=params_of(limit=limit, before=before, **filters))


def ledger_settings(*, store_content: bool | None = None) -> Endpoint[dict[str, Any]]:
    """Read the tenant's ledger settings, or change whether message content is stored."""
    if store_content is None:
        return Endpoint("GET", "/v1/ledger/settings", checked)
    return Endpoint("PATCH", "/v1/ledger/settings", checked, json={"storeContent": store_content})


def analytics_summary(**options: str | None) -> Endpoint[dict[str, Any]]:
    """Options: start, end, period (30d by default), feature."""
    return Endpoint("GET", "/v1/analytics/summary", checked, params=params_of(**options))


def export_analytics(**options: str | None) -> Endpoint[dict[str, Any]]:
    return Endpoint("GET", "/v1/exports/analytics.json", checked, params=params_of(**options))


def _expected_rows(reply: Reply) -> int | None:
    """A streamed export's status (the typed error) and its `x-killtoken-expected-rows`, an upper bound."""
    if reply.status >= 400:
        checked(reply)  # raises
    expected = reply.headers.get("x-killtoken-expected-rows")
    return int(expected) if expected and expected.isdigit() else None


def export_requests(fmt: str = "csv", **filters: str | None) -> Endpoint[int | None]:
    """`/v1/exports/requests.csv` (or `.ndjson` for any other `fmt`); the clients stream the body."""
    path = "/v1/exports/requests.csv" if fmt == "csv" else "/v1/exports/requests.ndjson"
    return Endpoint("GET", path, _expected_rows, params=params_of(**filters))


def _json_or_text(reply: Reply) -> Any:
    if reply.status >= 400 or reply.headers.get("content-type", "").startswith("application/json"):
        return checked(reply)
    return reply.content.decode("utf-8")


def roi_report(*, format: str = "json", **options: str | None) -> Endpoint[Any]:
    """JSON as a dict; `format="md"` or `"csv"` as text."""
    return Endpoint("GET", "/v1/reports/roi", _json_or_text, params=params_of(format=format, **options))


def list_prices() -> Endpoint[list[dict[str, Any]]]:
    return Endpoint("GET", "/v1/prices", lambda reply: list(checked(reply)["data"]))


def get_price(provider: str, model: str) -> Endpoint[dict[str, Any]]:
    return Endpoint("GET", _price_path(provider, model), checked)


def set_price(
    provider: str,
    model: str,
    *,
    input: str,
    output: str,
    cached_input: str | None = None,
    cache_write: str | None = None,
) -> Endpoint[dict[str, Any]]:
    """Rates in USD per 1M tokens, as decimal strings (no float rounding)."""
    body = {"input": input, "output": output, "cachedInput": cached_input, "cacheWrite": cache_write}
    return Endpoint("PUT", _price_path(provider, model), checked, json={k: v for k, v in body.items() if v is not None})


def remove_price(provider: str, model: str) -> Endpoint[None]:
    return Endpoint("DELETE", _price_path(provider, model), lambda reply: checked(reply) and None)
