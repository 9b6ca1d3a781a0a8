"""Every tenant-scoped endpoint, one row each: the suspension test and the isolation matrix walk this table.

A new tenant endpoint (templates, analytics, exports, ...) gets a row here (`test_endpoint_table` fails
until it has one) and is then covered by both: a suspended tenant gets 403 from it, and another tenant's
key never sees this tenant's data through it. Placeholders in `path` name resources of the owning tenant
(see `Owned`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str  # may hold {credential}, {request}, {template} or {model}: resources only one tenant has
    body: dict[str, Any] | None = None
    destructive: bool = False  # walk it last: it removes the resource it names
    admin_token: bool = True  # `kt --tenant NAME` reaches it with the admin token; the SDK doors take keys only

    def url(self, owned: Owned) -> str:
        return self.path.format(
            credential=owned.credential, request=owned.request, template=owned.template, model=owned.model
        )

    @property
    def names_a_resource(self) -> bool:
        return "{" in self.path

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


@dataclass(frozen=True)
class Owned:
    """Ids of one tenant's resources, and a marker (its feature tag) found in its data and nowhere else."""

    credential: str
    request: str
    marker: str
    template: str = "tpl_01m8zz00000000000000000000"  # tests that need none get an id nobody owns
    model: str = "model-nobody-configured"  # its credentials' `config.defaultModel`, listed by the model doors

    def ids(self) -> tuple[str, ...]:
        return (self.credential, self.request, self.marker, self.template, self.model)


CLAUDE = "claude-sonnet-4-5"  # listed for every tenant with an anthropic credential (it takes no defaultModel)


def anthropic_payload() -> dict[str, Any]:
    return {"model": CLAUDE, "max_tokens": 64, "messages": [{"role": "user", "content": "Capital of France?"}]}


PRICE = "/v1/prices/openai/isolation-probe-model"


def chat_payload(feature: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "provider": "openai_compatible",
        "model": "llama-3.1-8b",
        "messages": [{"role": "user", "content": "Capital of France?"}],
    }
    if feature:
        body["metadata"] = {"feature": feature}
    return body


ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint("POST", "/v1/chat", chat_payload(), admin_token=False),
    Endpoint("POST", "/v1/openai/chat/completions", chat_payload(), admin_token=False),
    Endpoint("POST", "/v1/anthropic/messages", anthropic_payload(), admin_token=False),
    Endpoint("GET", "/v1/provider-credentials"),
    Endpoint("POST", "/v1/provider-credentials", {"provider": "openai", "apiKey": "sk-isolation-test-key-0000"}),
    Endpoint("GET", "/v1/provider-credentials/{credential}"),
    Endpoint("PATCH", "/v1/provider-credentials/{credential}", {"label": "renamed"}),
    Endpoint("POST", "/v1/provider-credentials/{credential}/test", {"model": "llama-3.1-8b"}),
    Endpoint("GET", "/v1/providers"),
    Endpoint("GET", "/v1/requests"),
    Endpoint("GET", "/v1/requests/{request}"),
    Endpoint("GET", "/v1/templates"),
    Endpoint("POST", "/v1/templates", {"name": "isolation-probe", "messages": [{"role": "user", "content": "Hi"}]}),
    Endpoint("GET", "/v1/templates/{template}"),
    Endpoint("PATCH", "/v1/templates/{template}", {"description": "changed"}),
    Endpoint("POST", "/v1/templates/{template}/render", {"variables": {"name": "x"}}),
    Endpoint("POST", "/v1/optimize/preview", chat_payload()),
    Endpoint("GET", "/v1/analytics/summary?period=all"),
    Endpoint("GET", "/v1/exports/requests.csv?period=all"),
    Endpoint("GET", "/v1/exports/requests.ndjson?period=all"),
    Endpoint("GET", "/v1/exports/analytics.json?period=all"),
    Endpoint("GET", "/v1/reports/roi?period=all"),
    Endpoint("GET", "/v1/cache/stats"),
    Endpoint("DELETE", "/v1/cache/entries"),
    Endpoint("GET", "/v1/prices"),
    Endpoint("PUT", PRICE, {"input": 1, "output": 2}),
    Endpoint("GET", PRICE),
    Endpoint("GET", "/v1/ledger/settings"),
    Endpoint("PATCH", "/v1/ledger/settings", {"storeContent": False}),  # the default: changes nothing
    Endpoint("GET", "/v1/openai/models"),
    Endpoint("GET", "/v1/openai/models/{model}"),
    Endpoint("GET", "/v1/anthropic/models", admin_token=False),
    Endpoint("GET", f"/v1/anthropic/models/{CLAUDE}", admin_token=False),
    Endpoint("DELETE", PRICE, destructive=True),
    Endpoint("DELETE", "/v1/templates/{template}", destructive=True),
    Endpoint("DELETE", "/v1/provider-credentials/{credential}", destructive=True),
)


def in_safe_order() -> list[Endpoint]:
    return sorted(ENDPOINTS, key=lambda e: e.destructive)
