"""The tenant endpoint table (`tests/tenant_endpoints.py`) has a row for every tenant endpoint the app serves,
so the suspension test and the isolation matrix cannot silently miss a new one. An alias (the same handler
under another base URL an SDK produces, e.g. `/v1/models` for `/v1/openai/models`) is covered by its row."""

from __future__ import annotations

import re
import warnings
from typing import Any

from killtoken_proxy.api.dialects import dialect_of
from killtoken_proxy.app import create_app
from killtoken_proxy.settings import Settings
from tests.tenant_endpoints import ENDPOINTS, Owned

NOT_TENANT = ("/health", "/ready", "/openapi.json", "/v1/admin/")
NOT_PROXIED = "Not Proxied"  # the doors' 501 catch-alls serve nobody's data
SAMPLE = Owned(credential="cred_x", request="req_x", marker="m", template="tpl_x", model="m")

Handler = tuple[str, str, str]  # method, handler (OpenAPI summary), dialect: one per handler, not per alias


def _schema(settings: Settings) -> dict[str, Any]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the catch-alls share operation ids
        schema: dict[str, Any] = create_app(settings).openapi()
    return schema


def _served(schema: dict[str, Any]) -> dict[Handler, list[re.Pattern[str]]]:
    served: dict[Handler, list[re.Pattern[str]]] = {}
    for template, operations in schema["paths"].items():
        if template.startswith(NOT_TENANT):
            continue
        for method, operation in operations.items():
            if operation["summary"] != NOT_PROXIED:
                pattern = re.compile(re.sub(r"\{[^}]+\}", "[^/]+", template) + "$")
                served.setdefault((method.upper(), operation["summary"], dialect_of(template)), []).append(pattern)
    return served


def _handled_by(served: dict[Handler, list[re.Pattern[str]]], method: str, url: str) -> list[Handler]:
    return [h for h, patterns in served.items() if h[0] == method and any(p.match(url) for p in patterns)]


def test_every_tenant_endpoint_has_a_row(settings: Settings):
    served = _served(_schema(settings))
    rows = {str(e): _handled_by(served, e.method, e.url(SAMPLE).split("?")[0]) for e in ENDPOINTS}
    assert [row for row, handlers in rows.items() if not handlers] == []  # every row reaches a handler
    covered = {handler for handlers in rows.values() for handler in handlers}
    assert sorted(set(served) - covered) == [], "tenant endpoints with no row in tests/tenant_endpoints.py"
