"""Fixtures and helpers for the Anthropic door tests: a gateway with an `anthropic` credential pointing at
the fake upstream (`fake_anthropic`, in tests/conftest.py), and the official `anthropic` SDK aimed at it."""

from __future__ import annotations

import inspect
from typing import Any

import pytest

import anthropic
from tests.conftest import LiveGateway
from tests.fakes.anthropic_server import FakeAnthropic

HELLO = [{"role": "user", "content": "Capital of France?"}]


@pytest.fixture
def claude_gateway(gateway: LiveGateway, fake_anthropic: FakeAnthropic) -> LiveGateway:
    """A gateway whose tenant has an `anthropic` credential pointing at the fake upstream."""
    gateway.add_credential("anthropic", baseUrl=fake_anthropic.base_url)
    return gateway


def sdk(gw: LiveGateway, *, max_retries: int = 0, **options: Any) -> anthropic.Anthropic:
    """The official client, changed only in its construction: `base_url` and the `kt_` key."""
    return anthropic.Anthropic(base_url=f"{gw.url}/v1/anthropic", api_key=gw.key, max_retries=max_retries, **options)


def async_sdk(gw: LiveGateway, *, api_key: str | None = None, **options: Any) -> anthropic.AsyncAnthropic:
    return anthropic.AsyncAnthropic(
        base_url=f"{gw.url}/v1/anthropic", api_key=api_key or gw.key, max_retries=0, **options
    )


def metrics_of(message: Any) -> dict[str, Any]:
    metrics: dict[str, Any] = message.model_extra["killtoken"]["metrics"]
    return metrics


def create_kwargs(body: dict[str, Any]) -> dict[str, Any]:
    """Named SDK arguments where the installed SDK has them (so its own serialisation is exercised), the rest
    through `extra_body` (newer SDKs dropped `temperature`, `top_p` and `top_k` from the signature)."""
    named = inspect.signature(anthropic.resources.messages.Messages.create).parameters
    extra = {k: v for k, v in body.items() if k not in named}
    return {**{k: v for k, v in body.items() if k in named}, **({"extra_body": extra} if extra else {})}
