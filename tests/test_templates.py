"""Prompt templates: versions, rendering, variable errors, tenant isolation, and use from every door and the SDK."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import openai
import pytest

from killtoken_cli.client import KillTokenAPIError, KillTokenClient
from killtoken_proxy.runtime import Runtime
from killtoken_proxy.settings import Settings
from tests.conftest import LiveGateway
from tests.fakes.openai_server import FakeOpenAI

SUPPORT = {
    "name": "support-reply",
    "description": "Answer a customer ticket",
    "messages": [
        {"role": "system", "content": "You answer for {{company}}. Be brief."},
        {"role": "user", "content": [{"type": "text", "text": "Customer {{ customer }} asks: {{question}}"}]},
    ],
    "provider": "openai",
    "model": "gpt-4.1-mini",
    "optimizationMode": "safe",
}
VARIABLES = {"company": "Acme", "customer": "Ada", "question": "Where is my order?"}


@pytest.fixture
def other_key(settings: Settings) -> str:
    """A second tenant, created before the gateway starts (there is no tenant admin API yet)."""
    runtime = Runtime(settings)
    runtime.open()
    try:
        _tenant, key = runtime.tenants.create("acme")
    finally:
        runtime.close()
    return key


@pytest.fixture
def live(other_key: str, gateway: LiveGateway, fake_openai: FakeOpenAI) -> LiveGateway:
    gateway.add_credential("openai", baseUrl=fake_openai.base_url)
    return gateway


@pytest.fixture
def http(live: LiveGateway) -> Iterator[httpx.Client]:
    with live.client() as client:
        yield client


def create(http: httpx.Client, **changes: Any) -> dict[str, Any]:
    response = http.post("/v1/templates", json={**SUPPORT, **changes})
    assert response.status_code == 201, response.text
    return dict(response.json())


def error_of(response: httpx.Response, status: int, code: str) -> str:
    assert response.status_code == status, response.text
    assert response.json()["error"] == code
    return str(response.json()["message"])


def test_patch_makes_versions_and_old_versions_stay_readable(http: httpx.Client):
    first = create(http)
    assert first["id"].startswith("tpl_") and first["version"] == 1
    assert first["variables"] == ["company", "customer", "question"]
    new_messages = [{"role": "user", "content": "{{question}} (from {{customer}})"}]
    second = http.patch(f"/v1/templates/{first['id']}", json={"messages": new_messages, "model": None}).json()
    assert (second["version"], second["latestVersion"], second["variables"]) == (2, 2, ["question", "customer"])
    assert second["model"] is None and second["provider"] == "openai"  # null clears, absent keeps
    assert http.get("/v1/templates/support-reply").json()["messages"] == new_messages
    old = http.get(f"/v1/templates/{first['id']}", params={"version": 1}).json()
    assert old["messages"] == SUPPORT["messages"] and old["model"] == "gpt-4.1-mini" and old["latestVersion"] == 2
    error_of(http.get(f"/v1/templates/{first['id']}", params={"version": 3}), 404, "template_version_not_found")
    listed = http.get("/v1/templates").json()["data"]
    assert [(t["name"], t["version"]) for t in listed] == [("support-reply", 2)]


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"name": "has space"}, 400, "invalid_template"),
        ({"name": "tpl_lookalike"}, 400, "invalid_template"),
        ({"messages": []}, 400, "invalid_messages"),
        ({"provider": "nonesuch"}, 400, "invalid_provider"),
        ({"optimizationMode": "turbo"}, 400, "invalid_optimization_mode"),
        ({"cachePolicy": {"exactCache": "sometimes"}}, 400, "invalid_cache_policy"),
        ({"temperature": 0.2}, 400, "invalid_template"),
    ],
)
def test_bad_templates_are_refused_naming_the_field(http: httpx.Client, body: dict[str, Any], status: int, code: str):
    error_of(http.post("/v1/templates", json={**SUPPORT, **body}), status, code)


def test_names_are_unique_per_tenant(live: LiveGateway, http: httpx.Client, other_key: str):
    create(http)
    assert "kt templates edit support-reply" in error_of(
        http.post("/v1/templates", json=SUPPORT), 409, "template_name_taken"
    )
    with httpx.Client(base_url=live.url, headers={"Authorization": f"Bearer {other_key}"}) as other:
        assert other.post("/v1/templates", json=SUPPORT).status_code == 201


def test_render_fills_every_placeholder_once_and_names_all_bad_variables(http: httpx.Client):
    create(http)
    rendered = http.post(
        "/v1/templates/support-reply/render",
        json={"variables": {**VARIABLES, "question": "Is {{company}} open?", "customer": 42}},
    ).json()
    assert rendered["messages"][0]["content"] == "You answer for Acme. Be brief."
    assert rendered["messages"][1]["content"][0]["text"] == "Customer 42 asks: Is {{company}} open?"
    message = error_of(
        http.post("/v1/templates/support-reply/render", json={"variables": {"company": "Acme", "colour": "red"}}),
        400,
        "invalid_template_variables",
    )
    assert "`customer`" in message and "`question`" in message and "`colour`" in message


def test_another_tenants_template_does_not_exist(live: LiveGateway, http: httpx.Client, other_key: str):
    mine = create(http)
    with httpx.Client(base_url=live.url, headers={"Authorization": f"Bearer {other_key}"}) as other:
        for response in (
            other.get(f"/v1/templates/{mine['id']}"),
            other.patch(f"/v1/templates/{mine['id']}", json={"description": "hijack"}),
            other.post(f"/v1/templates/{mine['id']}/render", json={"variables": VARIABLES}),
            other.post("/v1/chat", json={"template": mine["id"], "variables": VARIABLES}),
            other.delete(f"/v1/templates/{mine['id']}"),
        ):
            error_of(response, 404, "template_not_found")
        assert other.get("/v1/templates").json()["data"] == []
    assert http.get(f"/v1/templates/{mine['id']}").json()["latestVersion"] == 1


def test_native_chat_from_a_template_uses_its_defaults_and_is_recorded(http: httpx.Client, fake_openai: FakeOpenAI):
    first = create(http)
    http.patch("/v1/templates/support-reply", json={"messages": [{"role": "user", "content": "v2 {{question}}"}]})
    response = http.post(
        "/v1/chat",
        json={
            "template": "support-reply",
            "variables": {"question": "Refund?"},
            "messages": [{"role": "user", "content": "Order 42."}],
        },
    )
    assert response.status_code == 200, response.text
    metrics = response.json()["killtoken"]["metrics"]
    assert metrics["template"] == {"id": first["id"], "name": "support-reply", "version": 2}
    assert metrics["provider"] == "openai" and metrics["optimizationMode"] == "safe"
    sent = fake_openai.received[-1].body
    assert sent["model"] == "gpt-4.1-mini"
    assert sent["messages"] == [{"role": "user", "content": "v2 Refund?"}, {"role": "user", "content": "Order 42."}]
    assert "template" not in sent and "variables" not in sent
    record = http.get(f"/v1/requests/{metrics['requestId']}").json()
    assert (record["template_id"], record["template_version"]) == (first["id"], 2)

    pinned = http.post(
        "/v1/chat",
        json={"template": {"id": first["id"], "version": 1}, "variables": VARIABLES, "model": "gpt-4.1-nano"},
        headers={"x-killtoken-optimization-mode": "measure_only"},
    )
    assert pinned.status_code == 200, pinned.text
    assert pinned.json()["killtoken"]["metrics"]["optimizationMode"] == "measure_only"  # the header beats the default
    sent = fake_openai.received[-1].body
    assert sent["model"] == "gpt-4.1-nano" and sent["messages"][0]["content"] == "You answer for Acme. Be brief."


def test_bad_variables_fail_before_any_provider_work(http: httpx.Client, fake_openai: FakeOpenAI):
    create(http)
    response = http.post("/v1/chat", json={"template": "support-reply", "variables": {"company": "Acme"}})
    message = error_of(response, 400, "invalid_template_variables")
    assert "`customer`, `question`" in message
    error_of(http.post("/v1/chat", json={"template": "nope", "variables": {}}), 404, "template_not_found")
    error_of(http.post("/v1/chat", json={"provider": "openai", "model": "m", "variables": {}}), 400, "invalid_template")
    assert fake_openai.received == []


def test_a_misspelt_provider_prefix_in_a_template_model_is_refused_when_saved(http: httpx.Client):
    response = http.post("/v1/templates", json={**SUPPORT, "model": "OpenAI/gpt-4.1-mini"})
    message = error_of(response, 400, "invalid_provider")
    assert "did you mean 'openai'?" in message


def test_a_template_provider_without_credential_fails_the_credential_check(gateway: LiveGateway):
    with gateway.client() as http:
        create(http, provider="openai_compatible", model="llama-3.1-8b")
        response = http.post("/v1/chat", json={"template": "support-reply", "variables": VARIABLES})
    assert "kt credentials add openai_compatible" in error_of(response, 400, "provider_credential_required")


def test_a_provider_prefix_in_the_callers_model_wins_over_the_template_provider(
    gateway: LiveGateway, fake_openai: FakeOpenAI
):
    gateway.add_credential("openai_compatible", baseUrl=fake_openai.base_url)
    chat = {"template": "support-reply", "variables": VARIABLES, "model": "openai_compatible/gpt-4.1-mini"}
    with gateway.client() as http:
        create(http)  # its defaults say `provider: openai`, which this tenant has no credential for
        for path in ("/v1/openai/chat/completions", "/v1/chat"):
            response = http.post(path, json=chat)
            assert response.status_code == 200, response.text
            assert fake_openai.received[-1].body["model"] == "gpt-4.1-mini"
            record = http.get(f"/v1/requests/{response.json()['killtoken']['metrics']['requestId']}").json()
            assert (record["provider"], record["routed_by"]) == ("openai_compatible", "prefix")
        preview = http.post("/v1/optimize/preview", json=chat).json()
        assert (preview["provider"], preview["model"]) == ("openai_compatible", "gpt-4.1-mini")


def test_a_template_default_provider_without_credential_says_how_to_route_elsewhere(
    gateway: LiveGateway, fake_openai: FakeOpenAI
):
    gateway.add_credential("openai_compatible", baseUrl=fake_openai.base_url)
    with gateway.client() as http:
        create(http)
        for own in ({"model": "gpt-4.1-mini"}, {}):  # the caller's model, or the template's own
            chat = {**own, "template": "support-reply", "variables": VARIABLES}
            error = http.post("/v1/openai/chat/completions", json=chat).json()["error"]
            assert error["code"] == "provider_credential_required"
            assert "template's default provider" in error["message"]
            assert "openai_compatible/gpt-4.1-mini" in error["message"]
    assert fake_openai.received == []


def test_the_templates_own_provider_and_prefixed_model_stay_together(gateway: LiveGateway, fake_openai: FakeOpenAI):
    gateway.add_credential("openai", baseUrl=fake_openai.base_url)
    gateway.add_credential("openai_compatible", baseUrl=fake_openai.base_url)
    with gateway.client() as http:
        create(http, provider="openai_compatible", model="openai/gpt-oss-20b")  # a served model's own id
        response = http.post("/v1/openai/chat/completions", json={"template": "support-reply", "variables": VARIABLES})
    assert response.status_code == 200, response.text
    assert response.json()["killtoken"]["metrics"]["provider"] == "openai_compatible"
    assert fake_openai.received[-1].body["model"] == "openai/gpt-oss-20b"


def test_openai_door_and_sdk_can_use_a_template(live: LiveGateway, http: httpx.Client, fake_openai: FakeOpenAI):
    create(http)
    bare = http.post("/v1/openai/chat/completions", json={"template": "support-reply", "variables": VARIABLES})
    assert bare.status_code == 200, bare.text
    assert fake_openai.received[-1].body["model"] == "gpt-4.1-mini"
    client = openai.OpenAI(base_url=f"{live.url}/v1/openai", api_key=live.key, max_retries=0)
    completion = client.chat.completions.create(
        model="gpt-4.1-mini", messages=[], extra_body={"template": "support-reply", "variables": VARIABLES}
    )
    assert completion.model_extra["killtoken"]["metrics"]["template"]["name"] == "support-reply"
    assert fake_openai.received[-1].body["messages"][1]["content"][0]["text"] == "Customer Ada asks: Where is my order?"
    with pytest.raises(openai.BadRequestError) as error:
        client.chat.completions.create(model="gpt-4.1-mini", messages=[], extra_body={"template": "support-reply"})
    assert error.value.code == "invalid_template_variables"


def test_the_python_sdk_manages_and_uses_templates(live: LiveGateway, fake_openai: FakeOpenAI):
    with KillTokenClient(live.url, live.key) as kt:
        added = kt.add_template(
            "greeting", [{"role": "user", "content": "Say hi to {{name}}"}], provider="openai", model="gpt-4.1-mini"
        )
        kt.update_template("greeting", description="v2", optimization_mode="balanced")
        assert kt.get_template("greeting")["optimizationMode"] == "balanced"
        assert kt.get_template(added["id"], version=1)["optimizationMode"] is None
        assert kt.render_template("greeting", {"name": "Ada"})["messages"][0]["content"] == "Say hi to Ada"
        response, metrics = kt.chat(template="greeting", variables={"name": "Ada"})
        assert response["choices"][0]["message"]["content"] == "Paris"
        assert metrics["template"] == {"id": added["id"], "name": "greeting", "version": 2}
        assert fake_openai.received[-1].body["messages"] == [{"role": "user", "content": "Say hi to Ada"}]
        with pytest.raises(KillTokenAPIError) as error:
            kt.chat(template="greeting", variables={})
        assert error.value.code == "invalid_template_variables" and "`name`" in error.value.message
        kt.remove_template("greeting")
        assert kt.list_templates() == []


def test_templates_survive_a_restart(settings: Settings):
    runtime = Runtime(settings)
    runtime.open()
    try:
        tenant, _key = runtime.tenants.create("t")
        template = runtime.templates.create(tenant.id, SUPPORT)
        runtime.templates.update(tenant.id, "support-reply", {"description": "second"})
    finally:
        runtime.close()
    reopened = Runtime(settings)
    reopened.open()
    try:
        found = reopened.templates.get(tenant.id, "support-reply")
        assert found.id == template.id and [v.version for v in found.versions] == [1, 2]
        assert (
            found.latest.fields["description"] == "second"
            and found.version(1).fields["description"] == SUPPORT["description"]
        )  # type: ignore[union-attr]
    finally:
        reopened.close()


def test_optimize_preview_expands_templates_and_sends_nothing(http: httpx.Client, fake_openai: FakeOpenAI):
    create(
        http,
        messages=[
            {"role": "system", "content": "Be   brief.\n\n\n\nAnswer for {{company}}."},
            {"role": "user", "content": "{{question}}"},
        ],
    )
    result = http.post(
        "/v1/optimize/preview",
        json={
            "template": "support-reply",
            "variables": {"company": "Acme", "question": "Hi?"},
            "optimizationMode": "safe",
        },
    ).json()
    assert result["template"]["name"] == "support-reply" and (result["provider"], result["model"]) == (
        "openai",
        "gpt-4.1-mini",
    )
    assert result["optimized"][0]["content"] == "Be brief.\n\nAnswer for Acme."
    assert result["optimization"]["mode"] == "safe" and Decimal(result["optimization"]["estimatedSavingsUsd"]) > 0
    unpriced = http.post(
        "/v1/optimize/preview", json={"model": "mystery", "messages": [{"role": "user", "content": "x"}]}
    )
    assert unpriced.status_code == 200 and unpriced.json()["optimization"]["estimatedSavingsUsd"] is None  # unpriced
    assert fake_openai.received == []


def test_null_template_fields_are_not_forwarded(http: httpx.Client, fake_openai: FakeOpenAI):
    response = http.post(
        "/v1/chat",
        json={"provider": "openai", "model": "gpt-4.1-mini", "messages": [{"role": "user", "content": "Hi"}],
              "template": None, "variables": None},
    )  # fmt: skip
    assert response.status_code == 200, response.text
    assert fake_openai.received[-1].body == {"model": "gpt-4.1-mini", "messages": [{"role": "user", "content": "Hi"}]}


def test_reports_group_and_filter_by_template_version(http: httpx.Client):
    template = create(http)
    chat = {"template": "support-reply", "variables": VARIABLES}
    for _ in range(2):
        assert http.post("/v1/chat", json=chat).status_code == 200
    http.patch("/v1/templates/support-reply", json={"description": "v2"})
    v2 = http.post("/v1/chat", json=chat).json()["killtoken"]["metrics"]["requestId"]
    plain = {"provider": "openai", "model": "gpt-4.1-mini", "messages": [{"role": "user", "content": "hi"}]}
    assert http.post("/v1/chat", json=plain).status_code == 200

    def ids(**params: str) -> list[str]:
        return [row["id"] for row in http.get("/v1/requests", params=params).json()["data"]]

    assert len(ids(template="support-reply")) == len(ids(template=template["id"])) == 3
    assert len(ids(template="support-reply@1")) == 2 and ids(template="support-reply@2") == [v2]
    assert ids(template="no-such-template") == []

    summary = http.get("/v1/analytics/summary").json()
    assert [(row["template"], row["version"], row["requests"]) for row in summary["templates"]] == [
        ("support-reply", 1, 2),
        ("support-reply", 2, 1),
    ]
    assert summary["totals"]["requests"] == 4  # the untemplated call counts in the totals, not per template
    assert Decimal(summary["templates"][0]["spendUsd"]) == 2 * Decimal(summary["templates"][1]["spendUsd"]) > 0

    roi = http.get("/v1/reports/roi").json()
    assert [(row["template"], row["version"]) for row in roi["templates"]] == [
        ("support-reply", 1),
        ("support-reply", 2),
    ]
    assert "template,support-reply v1,2," in http.get("/v1/reports/roi", params={"format": "csv"}).text
    assert "## Per template" in http.get("/v1/reports/roi", params={"format": "md"}).text
    csv_text = http.get("/v1/exports/requests.csv", params={"template": "support-reply@2"}).text
    header, *rows = csv_text.strip().splitlines()
    assert "template_name" in header.split(",") and len(rows) == 1 and "support-reply" in rows[0]
