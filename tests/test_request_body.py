"""Request bodies: one strict JSON reader for every endpoint and a size cap, so hostile input is a 4xx."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from killtoken_proxy.settings import Settings
from tests.conftest import LiveGateway
from tests.fakes.openai_server import FakeOpenAI

LIMIT = 4096
HELLO = [{"role": "user", "content": "hi"}]
BODY = {"provider": "openai_compatible", "model": "m", "messages": HELLO}


@pytest.fixture
def settings() -> Settings:
    return Settings.from_env({**os.environ, "KILLTOKEN_MAX_BODY_MB": str(LIMIT / (1024 * 1024))})


def post_raw(gw: LiveGateway, path: str, content: bytes | Iterator[bytes]) -> httpx.Response:
    with gw.client() as http:
        return http.post(path, content=content, headers={"content-type": "application/json"})


def test_the_cap_comes_from_the_environment(settings: Settings):
    assert settings.max_body_bytes == LIMIT
    assert Settings.from_env({}).max_body_bytes == 10 * 1024 * 1024


@pytest.mark.parametrize(
    ("path", "code_of"),
    [
        ("/v1/chat", lambda body: body["error"]),
        ("/v1/openai/chat/completions", lambda body: body["error"]["code"]),
        ("/v1/anthropic/v1/messages", lambda body: body["error"]["details"]["error_code"]),
        ("/v1/provider-credentials", lambda body: body["error"]),
    ],
)
def test_a_body_over_the_cap_is_413_in_the_doors_shape(
    openai_gateway: LiveGateway, fake_openai: FakeOpenAI, path: str, code_of: Any
):
    padded = b'{"pad": "' + b"x" * LIMIT + b'"}'
    declared = post_raw(openai_gateway, path, padded)  # refused on its Content-Length
    chunked = post_raw(openai_gateway, path, iter([padded[:100], padded[100:]]))  # no length: counted
    for response in (declared, chunked):
        assert response.status_code == 413, response.text
        assert code_of(response.json()) == "request_too_large"
    assert fake_openai.received == []
    assert post_raw(openai_gateway, "/v1/chat", b'{"pad": "' + b"x" * 100 + b'"}').status_code == 400


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"[" * 2000 + b"]" * 2000, "nested deeper than 1024"),  # was a RecursionError, 500
        (b'{"model": "m", "temperature": NaN, "messages": []}', "not valid JSON"),
        (b'{"model": "m", "temperature": -Infinity, "messages": []}', "not valid JSON"),
    ],
)
def test_json_that_is_not_strict_json_is_400_invalid_json(openai_gateway: LiveGateway, raw: bytes, reason: str):
    for path in ("/v1/chat", "/v1/provider-credentials", "/v1/templates"):
        response = post_raw(openai_gateway, path, raw)
        assert response.status_code == 400, (path, response.text)
        assert response.json()["error"] == "invalid_json" and reason in response.json()["message"]
    with openai_gateway.client() as http:
        prices = http.put("/v1/prices/openai/gpt-x", content=raw)
        settings = http.patch("/v1/ledger/settings", content=raw)
    assert prices.status_code == settings.status_code == 400


@pytest.mark.parametrize(
    ("raw", "code", "param"),
    [
        (
            b'{"model": "m", "messages": [{"role": "user", "content": "\\ud800"}]}',
            "invalid_messages",
            "messages[0].content",
        ),
        (b'{"model": "m", "idempotencyKey": "k\\udc00", "messages": []}', "invalid_idempotency_key", "idempotencyKey"),
        (b'{"model": "m", "metadata": {"feature": "a\\ud800"}, "messages": []}', "invalid_request", "metadata.feature"),
    ],
)
def test_a_lone_surrogate_is_400_naming_the_field(
    openai_gateway: LiveGateway, fake_openai: FakeOpenAI, raw: bytes, code: str, param: str
):
    """Not a character: it could be neither stored nor sent on (it was a 500)."""
    response = post_raw(openai_gateway, "/v1/chat", raw)
    assert response.status_code == 400, response.text
    assert (response.json()["error"], response.json()["message"].split("`")[1]) == (code, param)
    assert "surrogate" in response.json()["message"]
    elsewhere = post_raw(openai_gateway, "/v1/templates", raw)
    assert elsewhere.status_code == 400 and elsewhere.json()["error"] == "invalid_request"
    assert fake_openai.received == []


@pytest.mark.parametrize(
    ("raw", "code", "param"),
    [
        (
            b'{"provider": "openai_compatible", "model": "m", "messages": [{"role": "user", "content": "x"}], '
            b'"cachePolicy": {"exactCache": "read_write", "ttlSeconds": 1e999}}',
            "invalid_cache_policy",
            "cachePolicy.ttlSeconds",
        ),
        (
            b'{"provider": "openai_compatible", "model": "m", "messages": [{"role": "user", "content": "x"}], '
            b'"temperature": 1e999}',
            "invalid_request",
            "temperature",
        ),
        (
            b'{"provider": "openai_compatible", "model": "m", "messages": [{"role": "user", "content": "x"}], '
            b'"max_tokens": 1' + b"0" * 400 + b"}",
            "invalid_request",
            "max_tokens",
        ),
    ],
)
def test_numbers_beyond_a_double_are_400_naming_the_field(
    openai_gateway: LiveGateway, fake_openai: FakeOpenAI, raw: bytes, code: str, param: str
):
    response = post_raw(openai_gateway, "/v1/chat", raw)
    assert response.status_code == 400, response.text
    assert response.json()["error"] == code and f"`{param}`" in response.json()["message"]
    assert fake_openai.received == []  # `Infinity` used to reach the provider


def test_ordinary_bodies_still_parse_exactly(openai_gateway: LiveGateway, fake_openai: FakeOpenAI):
    body = {**BODY, "temperature": 0.2, "max_tokens": 2**40, "messages": [{"role": "user", "content": "é 👋"}]}
    with openai_gateway.client() as http:
        response = http.post("/v1/chat", json=body)
        price = http.put("/v1/prices/openai/gpt-x", json={"input": 0.15, "output": 0.6})
    assert response.status_code == 200, response.text
    assert fake_openai.received[-1].body["messages"][0]["content"] == "é 👋"
    assert price.status_code == 200, price.text
    assert price.json()["input"] == "0.15"
