"""Credential shapes per provider: the API names the missing field, never echoes a secret; `kt` asks for each."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from killtoken_cli.main import app
from tests.admin_helpers import chat_body
from tests.conftest import PROVIDER_SECRET, LiveGateway
from tests.fakes.openai_server import FakeOpenAI
from tests.provider_cases import AWS_SECRET, SA_EMAIL, SA_PRIVATE_PEM

runner = CliRunner()
BAD_PEM_CANARY = "-----BEGIN PRIVATE KEY-----\nnot-a-key-canary-93af\n-----END PRIVATE KEY-----\n"


def post(gateway: LiveGateway, body: dict[str, Any]) -> Any:
    with gateway.client() as http:
        return http.post("/v1/provider-credentials", json=body)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"provider": "anthropic"}, "apiKey"),
        # Secrets travel in HTTP headers: non-ASCII, inner spaces or control characters are refused up front.
        ({"provider": "openai", "apiKey": "sk-caf\u00e9-not-a-key-canary-93af"}, "apiKey"),
        ({"provider": "openai", "apiKey": "sk-not-a-key canary-93af"}, "apiKey"),
        (
            {
                "provider": "aws_bedrock",
                "secrets": {"accessKeyId": "AKIDX", "secretAccessKey": "not-a-key-canary-93af\u0000"},
                "config": {"region": "us-east-1"},
            },
            "secrets.secretAccessKey",
        ),
        (
            {"provider": "aws_bedrock", "secrets": {"accessKeyId": "AKIDX"}, "config": {"region": "us-east-1"}},
            "secrets.secretAccessKey",
        ),
        (
            {"provider": "aws_bedrock", "secrets": {"accessKeyId": "AKIDX", "secretAccessKey": AWS_SECRET}},
            "config.region",
        ),
        ({"provider": "azure_openai", "apiKey": "k" * 20, "config": {"deployment": "prod"}}, "config.endpoint"),
        ({"provider": "openai_compatible", "apiKey": "k" * 20}, "config.baseUrl"),
        (
            {
                "provider": "openai_compatible",
                "apiKey": "k" * 20,
                "config": {"baseUrl": "http://127.0.0.1:9/v1", "endpoint": "http://127.0.0.1:8/v1"},
            },
            "config.endpoint",
        ),
        (
            {"provider": "openai_compatible", "apiKey": "k" * 20, "config": {"endpoint": "localhost:8080"}},
            "config.endpoint",
        ),
        (
            {"provider": "openai_compatible", "apiKey": "k" * 20, "config": {"baseUrl": "http://[::1/v1"}},
            "config.baseUrl",
        ),
        (
            {
                "provider": "google_vertex",
                "secrets": {"clientEmail": SA_EMAIL},
                "config": {"projectId": "p", "location": "l"},
            },
            "secrets.privateKey",
        ),
        (
            {
                "provider": "google_vertex",
                "secrets": {"clientEmail": SA_EMAIL, "privateKey": SA_PRIVATE_PEM},
                "config": {"location": "l"},
            },
            "config.projectId",
        ),
        (
            {
                "provider": "google_vertex",
                "secrets": {"clientEmail": SA_EMAIL, "privateKey": BAD_PEM_CANARY},
                "config": {"projectId": "p", "location": "us-east5"},
            },
            "secrets.privateKey",
        ),
        ({"provider": "gemini", "apiKey": "k" * 20, "config": {"region": "eu"}}, "config"),
        (
            {"provider": "azure_openai", "apiKey": "k" * 20, "config": {"endpoint": "contoso.openai.azure.com"}},
            "config.endpoint",
        ),
    ],
)
def test_invalid_shapes_are_400_naming_the_field_without_echoing_secrets(
    gateway: LiveGateway, body: dict[str, Any], field: str
):
    response = post(gateway, body)
    assert response.status_code == 400, response.text
    error = response.json()
    assert error["error"] == "invalid_credential"
    assert f"`{field}`" in error["message"] or field in error["message"]
    for secret in (AWS_SECRET, SA_PRIVATE_PEM, BAD_PEM_CANARY, "not-a-key-canary-93af"):
        assert secret not in response.text


def test_a_mistyped_provider_is_400_with_a_did_you_mean(gateway: LiveGateway):
    response = post(gateway, {"provider": "opeanai", "apiKey": "k" * 20})
    assert response.status_code == 400 and response.json()["error"] == "invalid_provider"
    assert "got 'opeanai' (did you mean 'openai'?)" in response.json()["message"]


def test_azure_accepts_base_url_in_place_of_endpoint_and_bedrock_session_token_is_optional(gateway: LiveGateway):
    azure = post(gateway, {"provider": "azure_openai", "apiKey": "k" * 20, "config": {"baseUrl": "http://127.0.0.1:9"}})
    bedrock = post(
        gateway,
        {
            "provider": "aws_bedrock",
            "secrets": {"accessKeyId": "AKIDX", "secretAccessKey": AWS_SECRET},
            "config": {"region": "eu-central-1"},
        },
    )
    assert azure.status_code == 201 and bedrock.status_code == 201, (azure.text, bedrock.text)
    assert azure.json()["config"] == {"endpoint": "http://127.0.0.1:9"}  # stored under the one name read
    assert bedrock.json()["config"] == {"region": "eu-central-1"} and AWS_SECRET not in bedrock.text


def test_providers_endpoint_lists_every_provider_with_its_fields(gateway: LiveGateway):
    with gateway.client() as http:
        shapes = {p["name"]: p for p in http.get("/v1/providers").json()["data"]}
    assert len(shapes) == 13
    assert shapes["aws_bedrock"]["secretFields"] == ["accessKeyId", "secretAccessKey"]
    assert shapes["aws_bedrock"]["optionalSecretFields"] == ["sessionToken"]
    assert shapes["google_vertex"]["requiredConfig"] == ["projectId", "location"]
    assert "baseUrl" in shapes["openai"]["optionalConfig"] and shapes["openai"]["secretFields"] == ["apiKey"]
    assert shapes["azure_openai"]["requiredConfig"] == ["endpoint"]
    assert shapes["openai_compatible"]["configStandIns"] == {"baseUrl": "endpoint"}


def test_openai_compatible_takes_the_contracts_endpoint_as_its_base_url(gateway: LiveGateway, fake_openai: FakeOpenAI):
    """The contract's "config with endpoint/baseUrl": `endpoint` is stored as `baseUrl`, and calls go there."""
    body = {"provider": "openai_compatible", "apiKey": PROVIDER_SECRET, "config": {"endpoint": fake_openai.base_url}}
    created = post(gateway, body)
    assert created.status_code == 201, created.text
    assert created.json()["config"] == {"baseUrl": fake_openai.base_url}
    url = f"/v1/provider-credentials/{created.json()['id']}"
    with gateway.client() as http:
        chat = http.post("/v1/chat", json=chat_body())
        assert chat.status_code == 200, chat.text
        assert fake_openai.received[-1].path == f"{fake_openai.prefix}/chat/completions"
        same = {"baseUrl": fake_openai.base_url + "/", "endpoint": fake_openai.base_url}  # one URL, two names: fine
        assert http.patch(url, json={"config": same}).json()["config"] == {"baseUrl": fake_openai.base_url + "/"}
        moved = http.patch(url, json={"config": {"endpoint": "http://127.0.0.1:9/v1"}})
        assert moved.json()["config"] == {"baseUrl": "http://127.0.0.1:9/v1"}  # replaces the stored baseUrl
        differ = http.patch(url, json={"config": {"baseUrl": fake_openai.base_url, "endpoint": "http://127.0.0.1:9"}})
    assert differ.status_code == 400 and differ.json()["error"] == "invalid_credential"
    assert "`config.baseUrl` and `config.endpoint`" in differ.json()["message"]


# -- kt credentials add <provider> ---------------------------------------------------------------------
def added(args: list[str], stdin: str = "") -> dict[str, Any]:
    assert runner.invoke(app, ["init"]).exit_code == 0
    result = runner.invoke(app, ["credentials", "add", *args, "--json"], input=stdin)
    assert result.exit_code == 0, result.output
    for secret in (AWS_SECRET, SA_PRIVATE_PEM, "wJalr"):
        assert secret not in result.output
    return dict(json.loads(result.stdout))


def test_cli_bedrock_reads_each_secret_line_and_the_region():
    meta = added(["aws_bedrock", "--region", "us-west-2"], stdin=f"AKIDCLI0001\n{AWS_SECRET}\nSESSIONTOKEN\n")
    assert meta["provider"] == "aws_bedrock" and meta["config"] == {"region": "us-west-2"}


def test_cli_vertex_from_service_account_file(tmp_path: Path):
    key_file = tmp_path / "sa.json"
    key_file.write_text(
        json.dumps(
            {
                "type": "service_account",
                "project_id": "acme-ai",
                "private_key_id": "kid-0001",
                "private_key": SA_PRIVATE_PEM,
                "client_email": SA_EMAIL,
                "token_uri": "https://oauth2.googleapis.com/token",
            }
        )
    )
    meta = added(
        [
            "google_vertex",
            "--from-file",
            str(key_file),
            "--region",
            "us-east5",
            "--config",
            "defaultModel=gemini-2.5-flash",
        ]
    )
    assert meta["config"] == {"projectId": "acme-ai", "location": "us-east5", "defaultModel": "gemini-2.5-flash"}


def test_cli_azure_with_config_pairs(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("AZ_KEY", "azure-key-0123456789abcdef")
    meta = added(
        [
            "azure_openai",
            "--from-env",
            "AZ_KEY",
            "--config",
            "endpoint=https://contoso-eu.openai.azure.com",
            "--config",
            "deployment=gpt4o-prod",
            "--config",
            "apiVersion=2024-10-21",
        ]
    )
    assert meta["config"]["deployment"] == "gpt4o-prod" and meta["last4"] == "cdef"


def test_cli_openai_compatible_with_an_endpoint_pair():
    meta = added(["openai_compatible", "--config", "endpoint=http://127.0.0.1:9/v1"], stdin="sk-local-0123456789ab\n")
    assert meta["config"] == {"baseUrl": "http://127.0.0.1:9/v1"}


def test_cli_bedrock_from_env_by_field(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDCLI0002")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", AWS_SECRET)
    meta = added(
        [
            "aws_bedrock",
            "--region",
            "us-east-1",
            "--from-env",
            "accessKeyId=AWS_ACCESS_KEY_ID",
            "--from-env",
            "secretAccessKey=AWS_SECRET_ACCESS_KEY",
        ]
    )
    assert meta["config"] == {"region": "us-east-1"}


@pytest.mark.parametrize(
    ("args", "stdin", "expected"),
    [
        (["nonesuch"], "", "Unknown provider"),
        (["opeanai"], "", "Unknown provider 'opeanai' (did you mean 'openai'?)"),
        (["openai", "--from-file", "sa.json"], "", "google_vertex only"),
        (["gemini", "--region", "eu"], "k\n", "--region does not apply"),
        (["aws_bedrock", "--from-env", "AWS_SECRET_ACCESS_KEY"], "", "field=VAR"),
        (["google_vertex", "--from-file", "/nonexistent/sa.json"], "", "cannot read"),
    ],
)
def test_cli_usage_errors_say_what_to_do(args: list[str], stdin: str, expected: str):
    assert runner.invoke(app, ["init"]).exit_code == 0
    result = runner.invoke(app, ["credentials", "add", *args], input=stdin)
    assert result.exit_code == 2, result.output
    assert expected in result.stderr


def test_cli_missing_config_is_named_by_the_gateway():
    assert runner.invoke(app, ["init"]).exit_code == 0
    result = runner.invoke(app, ["credentials", "add", "aws_bedrock"], input=f"AKIDCLI0003\n{AWS_SECRET}\n\n")
    assert result.exit_code == 1
    assert "config.region" in result.stderr and AWS_SECRET not in result.output


def test_an_azure_credential_saved_with_both_url_names_can_still_be_updated():
    """Before `baseUrl` and `endpoint` were merged into one field, Azure stored both; `baseUrl` was the one
    used, so it wins, and a later update of another field is not refused over the old pair."""
    from killtoken_proxy.credential_service import _merged_config
    from killtoken_proxy.providers.registry import default_adapters

    shape = default_adapters()["azure_openai"].credential_shape
    stored = {"baseUrl": "https://used.example", "endpoint": "https://ignored.example", "deployment": "a"}
    merged = _merged_config(stored, {"deployment": "b"}, shape)
    assert merged == {"endpoint": "https://used.example", "deployment": "b"}
