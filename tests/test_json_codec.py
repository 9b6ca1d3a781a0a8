"""JSON on the request path and in the store (orjson with a standard-library fallback) keeps every value."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from tinydb import TinyDB

from killtoken_proxy import json_codec
from killtoken_proxy.store.atomic_storage import AtomicJSONStorage
from tests.conftest import LiveGateway
from tests.fakes.openai_server import FakeOpenAI, Reply, completion


def test_store_files_keep_values_orjson_cannot_encode(tmp_path: Path):
    path = tmp_path / "doc.json"
    huge = 2**70  # beyond 64 bits: orjson refuses it, the fallback writes it exactly
    db = TinyDB(path, storage=AtomicJSONStorage)
    db.table("t").insert({"huge": huge, "cost": Decimal("0.0000192"), "name": "résumé ✓"})
    db.close()
    reopened = TinyDB(path, storage=AtomicJSONStorage)
    assert reopened.table("t").all() == [{"huge": huge, "cost": "0.0000192", "name": "résumé ✓"}]
    assert json.loads(path.read_bytes())["t"]["1"]["huge"] == huge


def test_loads_takes_json_orjson_refuses_and_rejects_what_is_not_json():
    assert json_codec.loads(b'{"a": [1, 2.5, "x"]}') == {"a": [1, 2.5, "x"]}
    # A lone surrogate (orjson says no) is not a character and could never be written out again: U+FFFD.
    assert json_codec.loads('{"s\\udc00": "a\\ud800"}') == {"s\ufffd": "a\ufffd"}
    for not_json in (b"{not json", b'{"a": NaN}', b'{"a": -Infinity}', b"[" * 100_000 + b"]" * 100_000):
        with pytest.raises(ValueError):
            json_codec.loads(not_json)


def test_header_json_is_ascii_and_round_trips():
    value = {"feature": "Größe-测试", "n": 1, "costUsd": "0.01"}
    header = json_codec.dumps_ascii(value)
    assert header.isascii() and json.loads(header) == value
    assert json_codec.dumps_ascii({"a": 1}) == '{"a":1}'


def test_non_ascii_round_trips_through_the_gateway(openai_gateway: LiveGateway, fake_openai: FakeOpenAI):
    fake_openai.replies.append(Reply(body=completion("Bonjour, ça va ? 👋")))
    body = {
        "model": "llama",
        "messages": [{"role": "user", "content": "Grüße aus Köln 🇩🇪"}],
        "metadata": {"feature": "résumé-αβ"},
    }
    with openai_gateway.client() as http:
        response = http.post("/v1/openai/chat/completions", json=body)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    answer = response.json()
    assert answer["choices"][0]["message"]["content"] == "Bonjour, ça va ? 👋"
    assert answer["killtoken"]["metrics"]["feature"] == "résumé-αβ"
    header = response.headers["x-killtoken-metrics"]
    assert header.isascii() and json.loads(header)["feature"] == "résumé-αβ"
    assert fake_openai.received[-1].body["messages"][0]["content"] == "Grüße aus Köln 🇩🇪"


def test_invalid_json_body_is_a_clear_400(openai_gateway: LiveGateway):
    for body in (b'{"provider": "openai", "model": ', b'{"provider": "openai", "temperature": NaN}'):
        with openai_gateway.client() as http:
            response = http.post("/v1/chat", content=body, headers={"content-type": "application/json"})
        assert response.status_code == 400
        assert response.json()["error"] == "invalid_json"


def test_a_provider_answer_with_a_lone_surrogate_is_delivered_and_cached(
    openai_gateway: LiveGateway, fake_openai: FakeOpenAI
):
    fake_openai.replies.append(Reply(body=completion("x\ud800y")))  # was a 500 when encoding the answer
    body = {
        "provider": "openai_compatible",
        "model": "m",
        "messages": [{"role": "user", "content": "hi"}],
        "cachePolicy": {"exactCache": "read_write"},
    }
    with openai_gateway.client() as http:
        first = http.post("/v1/chat", json=body)
        again = http.post("/v1/chat", json=body)
    assert first.status_code == 200, first.text
    assert first.json()["choices"][0]["message"]["content"] == "x\ufffdy"
    assert again.json()["killtoken"]["metrics"]["cacheStatus"] == "hit"
    assert again.json()["choices"][0]["message"]["content"] == "x\ufffdy"
