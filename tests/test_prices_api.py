"""Through the running gateway: unpriced calls, price overrides over the API, and opt-in content storage."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.conftest import LiveGateway

ASK = [{"role": "user", "content": "Name a violet-scented mineral, please."}]


def ask(gw: LiveGateway, model: str = "llama-3.1-8b") -> dict:
    with gw.client() as http:
        response = http.post("/v1/chat", json={"provider": "openai_compatible", "model": model, "messages": ASK})
    assert response.status_code == 200, response.text
    return dict(response.json()["killtoken"]["metrics"])


def test_an_unpriced_model_is_null_and_flagged_until_the_tenant_sets_a_price(openai_gateway: LiveGateway):
    first = ask(openai_gateway)
    assert first["costUsd"] is None and first["priced"] is False
    with openai_gateway.client() as http:
        missing = http.get("/v1/prices/openai_compatible/llama-3.1-8b")
        assert missing.status_code == 404 and missing.json()["error"] == "price_not_found"
        assert "kt prices set" in missing.json()["message"]
        put = http.put("/v1/prices/openai_compatible/llama-3.1-8b", json={"input": 0.2, "output": "0.6"})
        assert put.status_code == 200, put.text
        assert put.json()["input"] == "0.2" and put.json()["cachedInput"] is None
        effective = http.get("/v1/prices/openai_compatible/llama-3.1-8b").json()
        assert effective["source"] == "override" and effective["cachedInput"] == "0.2"  # defaults to input
        assert [p["model"] for p in http.get("/v1/prices").json()["data"]] == ["llama-3.1-8b"]

    second = ask(openai_gateway)
    assert second["costUsd"] == "0.0000054" and second["priced"] is True  # 21 x $0.20 + 2 x $0.60 per million

    with openai_gateway.client() as http:
        rows = http.get("/v1/requests").json()["data"]
        summary = http.get("/v1/analytics/summary").json()
        assert http.delete("/v1/prices/openai_compatible/llama-3.1-8b").status_code == 204
        again = http.delete("/v1/prices/openai_compatible/llama-3.1-8b")
        assert again.status_code == 404 and again.json()["error"] == "price_not_found"
    assert [(r["spend_usd"], r["price_source"]) for r in rows] == [("0.0000054", "override"), (None, None)]
    assert summary["totals"]["unpricedRequests"] == 1 and summary["totals"]["pricedRequests"] == 1
    assert summary["totals"]["spendUsd"] == "0.0000054"
    assert ask(openai_gateway)["costUsd"] is None  # removed: unpriced again


def test_bundled_prices_can_be_looked_up(gateway: LiveGateway):
    with gateway.client() as http:
        price = http.get("/v1/prices/openai/gpt-4.1-mini").json()
        tiered = http.get("/v1/prices/gemini/gemini-2.5-pro").json()
    assert price["source"].startswith("genai-prices") and price["unit"] == "USD per 1M tokens"
    assert (price["input"], price["cachedInput"], price["output"]) == ("0.4", "0.1", "1.6")
    assert tiered["tiers"] and tiered["tiers"][0]["aboveInputTokens"] == 200000


@pytest.mark.parametrize(
    ("path", "body", "code"),
    [
        ("/v1/prices/nope/m", {"input": 1, "output": 1}, "invalid_provider"),
        ("/v1/prices/openai/m", {"input": -1, "output": 1}, "invalid_price"),
        ("/v1/prices/openai/m", {"input": 1}, "invalid_price"),
        ("/v1/prices/openai/m", {"input": 1, "output": 1, "discount": 5}, "invalid_price"),
        ("/v1/prices/openai/m", {"input": True, "output": 1}, "invalid_price"),
        ("/v1/prices/openai/m", {"input": "lots", "output": 1}, "invalid_price"),
        ("/v1/prices/openai/m", [1, 2], "invalid_price"),
    ],
)
def test_bad_prices_get_a_clear_400(gateway: LiveGateway, path: str, body: object, code: str):
    with gateway.client() as http:
        response = http.put(path, json=body)
    assert response.status_code == 400 and response.json()["error"] == code, response.text


def test_request_content_is_stored_only_when_the_tenant_opts_in(openai_gateway: LiveGateway):
    ask(openai_gateway)
    with openai_gateway.client() as http:
        assert http.get("/v1/ledger/settings").json() == {"storeContent": False}
        first = http.get("/v1/requests").json()["data"][0]
        assert "content" not in http.get(f"/v1/requests/{first['id']}").json()
    on_disk = "".join(p.read_text() for p in openai_gateway.settings.paths.ledger_dir.rglob("*.json"))
    assert first["id"] in on_disk and "violet-scented" not in on_disk  # by default no message reaches the disk
    with openai_gateway.client() as http:
        bad = http.patch("/v1/ledger/settings", json={"storeContent": "yes"})
        assert bad.status_code == 400 and bad.json()["error"] == "invalid_settings"
        assert http.patch("/v1/ledger/settings", json={"storeContent": True}).json() == {"storeContent": True}
    ask(openai_gateway)
    with openai_gateway.client() as http:
        listed = http.get("/v1/requests").json()["data"]
        detail = http.get(f"/v1/requests/{listed[0]['id']}").json()
    assert "content" not in listed[0]  # pages stay light; the detail view carries it
    assert detail["content"]["messages"] == ASK
    assert detail["content"]["choices"][0]["message"]["content"] == "Paris"
    assert Decimal(detail["total_tokens"]) == 23
