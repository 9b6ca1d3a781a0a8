"""Fixtures for the exact cache and idempotency: a priced OpenAI upstream that can be held, two tenants."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

import httpx
import pytest

from killtoken_cli.in_process import InProcessTransport
from killtoken_proxy.app import create_app
from killtoken_proxy.runtime import Runtime
from killtoken_proxy.settings import Settings
from tests.conftest import PROVIDER_SECRET, LiveGateway, bootstrap
from tests.fakes.clock import FakeClock
from tests.fakes.http_fake import Received
from tests.fakes.openai_server import FakeOpenAI, Reply

HELLO = [{"role": "user", "content": "Capital of France?"}]
PRICED = {"provider": "openai", "model": "gpt-4.1-mini", "messages": HELLO}  # gpt-4.1-mini has a list price


class GatedOpenAI(FakeOpenAI):
    """The fake OpenAI, whose answers can be held back (`gate.clear()`) to keep a call in flight."""

    def __init__(self) -> None:
        super().__init__(PROVIDER_SECRET)
        self.gate = threading.Event()
        self.gate.set()

    def answer(self, received: Received) -> Reply:
        assert self.gate.wait(timeout=30), "the test never released the gate"
        return super().answer(received)


@dataclass
class Priced:
    """Tenant A (`a`) and tenant B (`b`), each with an `openai` credential pointing at `upstream`."""

    a: LiveGateway
    b: LiveGateway
    upstream: GatedOpenAI

    def chat(
        self, body: dict[str, Any] | bytes, headers: dict[str, str] | None = None, *, tenant: str = "a"
    ) -> httpx.Response:
        gateway = self.a if tenant == "a" else self.b
        with gateway.client() as http:
            if isinstance(body, bytes):
                return http.post(
                    "/v1/chat", content=body, headers={"content-type": "application/json", **(headers or {})}
                )
            return http.post("/v1/chat", json=body, headers=headers or {})

    def requests(self, tenant: str = "a") -> list[dict[str, Any]]:
        with (self.a if tenant == "a" else self.b).client() as http:
            return list(http.get("/v1/requests", params={"limit": 500}).json()["data"])


@pytest.fixture
def upstream() -> Iterator[GatedOpenAI]:
    fake = GatedOpenAI().start()
    yield fake
    fake.gate.set()
    fake.stop()


@pytest.fixture
def other_tenant_key(settings: Settings) -> str:
    """A second tenant, created before the gateway starts (the daemon alone owns the store after)."""
    runtime = Runtime(settings)
    runtime.open()
    try:
        _tenant, key = runtime.tenants.create("other")
    finally:
        runtime.close()
    return key


@pytest.fixture
def priced(other_tenant_key: str, gateway: LiveGateway, upstream: GatedOpenAI) -> Priced:
    other = replace(gateway, key=other_tenant_key)
    for tenant in (gateway, other):
        tenant.add_credential("openai", baseUrl=upstream.base_url)
    return Priced(gateway, other, upstream)


@contextmanager
def clocked_gateway(settings: Settings, clock: FakeClock, upstream: FakeOpenAI) -> Iterator[httpx.Client]:
    """The app in-process on `clock` (a test moves time, nothing sleeps); its tenant has an `openai`
    credential pointing at `upstream`."""
    key = bootstrap(settings)
    transport = InProcessTransport(create_app(settings, clock=clock))
    with httpx.Client(transport=transport, base_url="http://kt", headers={"Authorization": f"Bearer {key}"}) as http:
        added = http.post(
            "/v1/provider-credentials",
            json={"provider": "openai", "apiKey": PROVIDER_SECRET, "config": {"baseUrl": upstream.base_url}},
        )
        assert added.status_code == 201, added.text
        yield http


def metrics_of(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    return dict(response.json()["killtoken"]["metrics"])
