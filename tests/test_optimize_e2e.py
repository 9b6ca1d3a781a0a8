"""End to end: the same request in each optimization mode reaches the fake OpenAI upstream shorter, and the
metrics' savings follow the price table while billing follows the provider's reported usage."""

from __future__ import annotations

import json
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import openai

from tests.conftest import LiveGateway
from tests.fakes.openai_server import FakeOpenAI, Reply, completion

MODES = ("measure_only", "safe", "balanced", "aggressive")
INPUT_PRICE = Decimal("0.40") / 1_000_000  # gpt-4.1-mini, USD per input token (genai-prices)
CORPUS = Path(__file__).parent / "data" / "optimize_corpus"


def rag_request() -> dict[str, Any]:
    return dict(json.loads((CORPUS / "rag_repeated_context.json").read_text(encoding="utf-8"))["request"])


def test_each_mode_sends_shorter_messages_and_prices_the_tokens_it_removed(
    gateway: LiveGateway, fake_openai: FakeOpenAI
):
    gateway.add_credential("openai", baseUrl=fake_openai.base_url)
    body = rag_request()
    sent: dict[str, list[dict[str, Any]]] = {}
    metrics: dict[str, dict[str, Any]] = {}
    with gateway.client() as http:
        for mode in MODES:
            fake_openai.replies.append(Reply(200, completion(prompt_tokens=1500, completion_tokens=40)))
            response = http.post("/v1/chat", json={**body, "optimizationMode": mode})
            assert response.status_code == 200, response.text
            sent[mode] = fake_openai.received[-1].body["messages"]
            metrics[mode] = response.json()["killtoken"]["metrics"]
        ledger = {mode: http.get(f"/v1/requests/{metrics[mode]['requestId']}").json() for mode in MODES}

    assert sent["measure_only"] == body["messages"]
    sizes = [len(json.dumps(sent[mode], ensure_ascii=False)) for mode in MODES]
    assert sizes == sorted(sizes, reverse=True) and len(set(sizes)) == len(sizes), sizes
    for mode in MODES:
        assert sent[mode][-1] == body["messages"][-1], f"{mode} changed the last user turn"
        report = metrics[mode]["optimization"]
        assert report["mode"] == mode == metrics[mode]["optimizationMode"]
        assert report["tokensRemoved"] == report["tokensBefore"] - report["tokensAfter"]
        assert Decimal(metrics[mode]["estimatedSavingsUsd"]) == report["tokensRemoved"] * INPUT_PRICE
        for shadow in report["shadow"].values():
            assert Decimal(shadow["estimatedSavingsUsd"]) == shadow["tokensRemoved"] * INPUT_PRICE
        # Billing is the provider's own usage, whatever we estimated.
        assert metrics[mode]["promptTokens"] == 1500
        assert Decimal(metrics[mode]["costUsd"]) == 1500 * INPUT_PRICE + 40 * Decimal("1.60") / 1_000_000
        assert ledger[mode]["optimization"] == report
        assert ledger[mode]["estimated_savings_usd"] == metrics[mode]["estimatedSavingsUsd"]

    measured = metrics["measure_only"]["optimization"]
    assert measured["tokensRemoved"] == 0 and metrics["measure_only"]["estimatedSavingsUsd"] == "0"
    assert all(not step["applied"] for step in measured["optimizers"])
    # The shadow estimate of measure_only is exactly what each mode then removed.
    for mode in MODES[1:]:
        assert measured["shadow"][mode]["tokensRemoved"] == metrics[mode]["optimization"]["tokensRemoved"] > 0
    applied = {step["name"] for step in metrics["balanced"]["optimization"]["optimizers"] if step["applied"]}
    assert {"normalize_whitespace", "dedupe_passages"} <= applied


def test_the_mode_header_works_through_the_openai_sdk(gateway: LiveGateway, fake_openai: FakeOpenAI):
    gateway.add_credential("openai", baseUrl=fake_openai.base_url)
    client = openai.OpenAI(
        base_url=f"{gateway.url}/v1/openai",
        api_key=gateway.key,
        default_headers={"x-killtoken-optimization-mode": "safe"},
        max_retries=0,
    )
    pretty = json.dumps({"orders": [{"id": 1, "total": "9.90"}, {"id": 2, "total": "12.00"}]}, indent=4)
    completion_ = client.chat.completions.create(
        model="gpt-4.1-mini",
        messages=[
            {"role": "system", "content": "Summarise   orders.\n\n\n\nBe brief."},
            {"role": "user", "content": f"Orders:\n{pretty}"},
            {"role": "assistant", "content": "Two orders."},
            {"role": "user", "content": "Total?"},
        ],
    )
    report = completion_.model_extra["killtoken"]["metrics"]["optimization"]
    assert report["mode"] == "safe" and report["tokensRemoved"] > 0
    upstream = fake_openai.received[-1].body["messages"]
    assert upstream[0]["content"] == "Summarise orders.\n\nBe brief."
    assert upstream[1]["content"] == 'Orders:\n{"orders":[{"id":1,"total":"9.90"},{"id":2,"total":"12.00"}]}'
    assert upstream[3] == {"role": "user", "content": "Total?"}


def test_unpriced_models_report_tokens_but_no_money(openai_gateway: LiveGateway, fake_openai: FakeOpenAI):
    with openai_gateway.client() as http:
        response = http.post(
            "/v1/chat",
            json={
                "provider": "openai_compatible",
                "model": "llama-3.1-8b",
                "optimizationMode": "safe",
                "messages": [
                    {"role": "system", "content": "Be   brief.\n\n\n\nOk."},
                    {"role": "user", "content": "Hi"},
                ],
            },
        )
    metrics = response.json()["killtoken"]["metrics"]
    assert metrics["optimization"]["tokensRemoved"] > 0
    assert metrics["optimization"]["estimatedSavingsUsd"] is None and metrics["estimatedSavingsUsd"] is None
    assert metrics["costUsd"] is None, "unpriced: no money figure is made up, neither cost nor savings"
    assert fake_openai.received[-1].body["messages"][0]["content"] == "Be brief.\n\nOk."


def test_measure_only_traffic_shows_what_each_mode_would_save_per_feature(
    gateway: LiveGateway, fake_openai: FakeOpenAI
):
    """The shadow estimate users need before turning optimization on, in the summary and the ROI report."""
    gateway.add_credential("openai", baseUrl=fake_openai.base_url)
    body = {**rag_request(), "metadata": {"feature": "rag-answers"}}
    shadows = []
    with gateway.client() as http:
        for _ in range(2):
            response = http.post("/v1/chat", json=body)
            assert response.status_code == 200, response.text
            shadows.append(response.json()["killtoken"]["metrics"]["optimization"]["shadow"])
        summary = http.get("/v1/analytics/summary", params={"period": "all"}).json()
        roi = http.get("/v1/reports/roi", params={"period": "all"}).json()

    expected = {mode: str(sum(Decimal(s[mode]["estimatedSavingsUsd"]) for s in shadows)) for mode in shadows[0]}
    assert Decimal(expected["balanced"]) > 0
    feature = next(f for f in summary["features"] if f["feature"] == "rag-answers")
    assert {m: Decimal(v) for m, v in feature["potentialSavingsUsd"].items()} == {
        m: Decimal(v) for m, v in expected.items()
    }
    roi_feature = next(f for f in roi["features"] if f["feature"] == "rag-answers")
    assert roi_feature["potentialSavingsUsd"] == feature["potentialSavingsUsd"]


def test_a_big_measure_only_prompt_is_measured_while_the_provider_works(
    gateway: LiveGateway, fake_openai: FakeOpenAI, monkeypatch: Any
):
    from killtoken_proxy.gateway.optimize.stage import OFFLOAD_CHARS, PromptOptimizer

    gateway.add_credential("openai", baseUrl=fake_openai.base_url)
    measured_after_send: list[bool] = []
    report = PromptOptimizer.report

    def report_once_the_provider_has_it(self: PromptOptimizer, *args: Any) -> Any:
        deadline = time.monotonic() + 5  # before the change this waited here in vain: the call came after
        while not fake_openai.received and time.monotonic() < deadline:
            time.sleep(0.01)
        measured_after_send.append(bool(fake_openai.received))
        return report(self, *args)

    monkeypatch.setattr(PromptOptimizer, "report", report_once_the_provider_has_it)
    paragraph = "The quarterly report covers revenue,   costs and   hiring.\n\n"
    big = {
        "provider": "openai",
        "model": "gpt-4.1-mini",
        "messages": [
            {"role": "system", "content": paragraph * (OFFLOAD_CHARS // len(paragraph) + 1)},
            {"role": "user", "content": "Summarise the report."},
        ],
    }
    with gateway.client() as http:
        response = http.post("/v1/chat", json=big)
    assert response.status_code == 200, response.text
    assert measured_after_send == [True]
    optimization = response.json()["killtoken"]["metrics"]["optimization"]
    assert optimization["mode"] == "measure_only" and optimization["shadow"]["safe"]["tokensRemoved"] > 0
    assert fake_openai.received[0].body["messages"] == big["messages"]  # sent unchanged
    with gateway.client() as http:
        row = http.get(f"/v1/requests/{response.headers['x-killtoken-request-id']}").json()
    assert Decimal(row["potential_savings_usd"]["safe"]) > 0
