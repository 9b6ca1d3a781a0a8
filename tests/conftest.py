"""Shared fixtures: an isolated KILLTOKEN_HOME and vault per test, a fake OpenAI, a live gateway."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from killtoken_proxy.bootstrap import ensure_default_tenant
from killtoken_proxy.runtime import Runtime
from killtoken_proxy.settings import Settings
from tests.fakes.anthropic_server import FakeAnthropic
from tests.fakes.live_app import serving
from tests.fakes.openai_server import FakeOpenAI

PROVIDER_SECRET = "sk-canary-7f3a9c1e5b2d4f60aa11"  # planted everywhere to prove it never leaks
MASTER_KEY = "test-master-key-not-a-real-one"


@pytest.fixture(autouse=True)
def isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Never touch the real home folder or the developer's keyring."""
    home = tmp_path / "kthome"
    monkeypatch.setenv("KILLTOKEN_HOME", str(home))
    monkeypatch.setenv("KILLTOKEN_MASTER_KEY", MASTER_KEY)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    for name in ("KILLTOKEN_API_KEY", "OPENAI_API_KEY", "OPENAI_BASE_URL", "ANTHROPIC_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    return home


@pytest.fixture
def settings() -> Settings:
    return Settings.from_env()


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAI]:
    fake = FakeOpenAI(PROVIDER_SECRET).start()
    yield fake
    fake.stop()


@pytest.fixture
def fake_anthropic() -> Iterator[FakeAnthropic]:
    fake = FakeAnthropic(PROVIDER_SECRET).start()
    yield fake
    fake.stop()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def bootstrap(settings: Settings) -> str:
    runtime = Runtime(settings)
    runtime.open()
    try:
        result = ensure_default_tenant(runtime)
    finally:
        runtime.close()
    assert result.key is not None
    return result.key


@dataclass
class LiveGateway:
    url: str
    key: str
    settings: Settings

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers={"Authorization": f"Bearer {self.key}"}, timeout=30)

    def add_credential(
        self, provider: str = "openai_compatible", secret: str = PROVIDER_SECRET, **config: str
    ) -> dict[str, object]:
        with self.client() as http:
            response = http.post(
                "/v1/provider-credentials", json={"provider": provider, "apiKey": secret, "config": config}
            )
        assert response.status_code == 201, response.text
        return dict(response.json())


@contextmanager
def running_gateway(settings: Settings) -> Iterator[LiveGateway]:
    """The real app under uvicorn on a free loopback port, in a background thread."""
    key = bootstrap(settings)
    live_settings = settings.replace(port=free_port())
    with serving(live_settings) as url:
        yield LiveGateway(url, key, live_settings)


@pytest.fixture
def gateway(settings: Settings) -> Iterator[LiveGateway]:
    with running_gateway(settings) as live:
        yield live


@pytest.fixture
def openai_gateway(gateway: LiveGateway, fake_openai: FakeOpenAI) -> LiveGateway:
    """A gateway whose tenant has an openai_compatible credential pointing at the fake upstream."""
    gateway.add_credential(baseUrl=fake_openai.base_url)
    return gateway
