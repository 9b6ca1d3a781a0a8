"""`kt chat`: one call from the terminal through the same client; answer on stdout, metrics on stderr."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from killtoken_cli.main import app
from tests.conftest import PROVIDER_SECRET
from tests.fakes.openai_server import FakeOpenAI, Reply, completion

runner = CliRunner()


def _setup(fake: FakeOpenAI) -> None:
    assert runner.invoke(app, ["init"]).exit_code == 0
    added = runner.invoke(
        app, ["credentials", "add", "openai", "--base-url", fake.base_url], input=PROVIDER_SECRET + "\n"
    )
    assert added.exit_code == 0, added.output


def test_kt_chat_prints_the_answer_and_its_metrics(fake_openai: FakeOpenAI):
    _setup(fake_openai)
    fake_openai.replies.append(Reply(200, completion("Bonjour !", prompt_tokens=1000, completion_tokens=100)))
    result = runner.invoke(
        app, ["chat", "Hello", "--provider", "openai", "--model", "gpt-4.1-mini", "--feature", "cli-test"]
    )
    assert result.exit_code == 0, result.output
    assert result.stdout == "Bonjour !\n"
    for expected in ("gpt-4.1-mini", "cli-test", "1000", "$0.00056", "req_"):
        assert expected in result.stderr
    sent = fake_openai.received[-1]
    assert sent.body == {"model": "gpt-4.1-mini", "messages": [{"role": "user", "content": "Hello"}]}
    assert sent.headers["authorization"] == f"Bearer {PROVIDER_SECRET}"
    listed = json.loads(runner.invoke(app, ["requests", "list", "--json", "--feature", "cli-test"]).stdout)
    assert [r["status"] for r in listed] == [200]


def test_kt_chat_json_system_and_stdin(fake_openai: FakeOpenAI):
    _setup(fake_openai)
    result = runner.invoke(
        app,
        ["chat", "-", "--provider", "openai", "--model", "gpt-4.1-mini", "--system", "Be brief.", "--json"],
        input="Capital of France?\n",
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["response"]["choices"][0]["message"]["content"] == "Paris"
    assert data["metrics"]["provider"] == "openai" and data["metrics"]["promptTokens"] == 21
    assert fake_openai.received[-1].body["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Capital of France?"},
    ]


def test_kt_chat_errors_name_the_fix(fake_openai: FakeOpenAI):
    _setup(fake_openai)
    missing = runner.invoke(app, ["chat", "Hello", "--provider", "openai_compatible", "--model", "llama"])
    assert missing.exit_code == 1
    assert "provider_credential_required" in missing.stderr and "kt credentials add" in missing.stderr
    bad_mode = runner.invoke(
        app, ["chat", "Hi", "--provider", "openai", "--model", "gpt-4.1-mini", "--optimization-mode", "turbo"]
    )
    assert bad_mode.exit_code == 1 and "invalid_optimization_mode" in bad_mode.stderr
    assert fake_openai.received == []
    usage = runner.invoke(app, ["chat", "Hello", "--provider", "openai"])
    assert usage.exit_code == 2 and "--model" in usage.output


def test_kt_chat_without_provider_routes_by_the_model_name(fake_openai: FakeOpenAI):
    _setup(fake_openai)
    result = runner.invoke(app, ["chat", "Hello", "--model", "gpt-4.1-mini", "--feature", "routed"])
    assert result.exit_code == 0, result.output
    assert result.stdout == "Paris\n" and fake_openai.received[-1].body["model"] == "gpt-4.1-mini"
    [record] = json.loads(runner.invoke(app, ["requests", "list", "--json", "--feature", "routed"]).stdout)
    assert record["provider"] == "openai"


def test_kt_chat_with_an_open_weight_model_suggests_who_hosts_it(fake_openai: FakeOpenAI):
    _setup(fake_openai)
    assert runner.invoke(app, ["credentials", "add", "anthropic"], input="sk-ant-fake-000000000\n").exit_code == 0
    result = runner.invoke(app, ["chat", "Hello", "--model", "llama-3-70b"])
    assert result.exit_code == 1 and "invalid_model" in result.stderr
    assert "together/llama-3-70b" in result.stderr and "kt credentials add together" in result.stderr
    assert "anthropic/llama-3-70b" not in result.stderr


def test_kt_chat_errors_print_the_gateways_fix_once_and_name_provider_option(fake_openai: FakeOpenAI):
    _setup(fake_openai)
    missing = runner.invoke(app, ["chat", "Hello", "--provider", "openai_compatible", "--model", "llama"])
    assert missing.stderr.count("kt credentials add") == 1 and "<provider>" not in missing.stderr
    # Routed by the model's family to anthropic, which has no credential: the hint names the CLI option.
    family = runner.invoke(app, ["chat", "Hello", "--model", "claude-sonnet-4-5"])
    assert family.exit_code == 1 and "provider_credential_required" in family.stderr
    said = " ".join(family.stderr.split())
    # Only openai is stored, and it does not serve claude-* under that name: no `--provider openai` advice.
    assert "name it with `--provider`" in said and "`--provider openai`" not in said
    assert "x-killtoken-provider" not in family.stderr
    assert runner.invoke(app, ["credentials", "add", "anthropic"], input="sk-ant-fake-000000000\n").exit_code == 0
    unknown = runner.invoke(app, ["chat", "Hello", "--model", "mystery-model"])
    assert unknown.exit_code == 1 and "invalid_model" in unknown.stderr
    assert "pass `--provider`" in " ".join(unknown.stderr.split()) and "x-killtoken-provider" not in unknown.stderr


def test_provider_as_option_rewrites_each_header_hint_the_gateway_gives():
    from killtoken_cli.commands.chat import provider_as_option

    assert provider_as_option("use `a/m` or the `x-killtoken-provider: a` header.") == "use `a/m` or `--provider a`."
    assert provider_as_option("or send the `x-killtoken-provider: b` header.") == "or pass `--provider b`."
    assert provider_as_option("or send the `x-killtoken-provider` header.") == "or pass `--provider`."
