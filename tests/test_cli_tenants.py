"""`kt tenants`, `kt keys` and `kt credentials update|show|test`: each command a fresh in-process app, so
every step also proves the change was persisted; plus one run against a real `kt serve` daemon."""

from __future__ import annotations

import json
import os
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from killtoken_cli.main import app
from tests.conftest import PROVIDER_SECRET
from tests.fakes.kt_daemon import kt, start_kt_serve, stop_kt_serve
from tests.fakes.openai_server import FakeOpenAI

runner = CliRunner()


def ok(*args: str, input: str | None = None) -> str:
    result = runner.invoke(app, list(args), input=input)
    assert result.exit_code == 0, result.output
    return result.stdout


def as_tenant(monkeypatch: pytest.MonkeyPatch, key: str, *args: str) -> tuple[int, str]:
    monkeypatch.setenv("KILLTOKEN_API_KEY", key)
    result = runner.invoke(app, list(args))
    monkeypatch.delenv("KILLTOKEN_API_KEY")
    return result.exit_code, result.output


def test_tenant_lifecycle_from_the_cli(monkeypatch: pytest.MonkeyPatch):
    assert json.loads(ok("tenants", "list", "--json")) == []  # admin commands need no tenant key
    added = runner.invoke(app, ["tenants", "add", "acme", "--plan", "free"])
    assert added.exit_code == 0, added.output
    (key,) = added.stdout.split()  # stdout holds the key and nothing else
    assert key.startswith("kt_") and "shown once" in added.stderr

    (acme,) = json.loads(ok("tenants", "list", "--json"))
    assert (acme["name"], acme["plan"], acme["usage"]["limit"]) == ("acme", "free", 1000)
    table = ok("tenants", "show", "acme")
    assert "0 / 1,000" in table and "120 / minute" in table

    custom = json.loads(ok("tenants", "update", "acme", "--monthly-requests", "5", "--rate-limit", "10", "--json"))
    assert (custom["plan"], custom["monthlyRequests"], custom["rateLimitPerMinute"]) == ("custom", 5, 10)
    both = runner.invoke(app, ["tenants", "update", "acme", "--plan", "pro", "--monthly-requests", "5"])
    assert both.exit_code == 2 and "--monthly-requests" in both.stderr
    routed = json.loads(ok("tenants", "update", "acme", "--default-provider", "together", "--json"))
    assert routed["defaultProvider"] == "together" and "together" in ok("tenants", "show", "acme")
    listed = ok("tenants", "list")
    assert "default provider" in listed and "together" in next(row for row in listed.splitlines() if " acme " in row)
    typo = runner.invoke(app, ["tenants", "update", "acme", "--default-provider", "togther"])
    assert typo.exit_code == 1 and "did you mean 'together'?" in typo.stderr
    assert (
        json.loads(ok("tenants", "update", "acme", "--default-provider", "none", "--json"))["defaultProvider"] is None
    )
    ok("tenants", "update", "acme", "--default-provider", "openai")
    cleared = json.loads(ok("tenants", "update", "acme", "--default-provider", "null", "--json"))
    assert cleared["defaultProvider"] is None

    assert "suspended" in runner.invoke(app, ["tenants", "suspend", "acme"]).stderr
    code, output = as_tenant(monkeypatch, key, "credentials", "list")
    assert code == 1 and "tenant_suspended" in output and "kt tenants resume acme" in output
    acting = runner.invoke(app, ["credentials", "list", "--tenant", "acme"])  # the admin token, for acme
    assert acting.exit_code == 1 and isinstance(acting.exception, SystemExit)  # a message, not a traceback
    assert "tenant_suspended" in acting.stderr and "kt tenants resume acme" in acting.stderr
    ok("keys", "list", "--tenant", "acme")  # the admin commands still manage a suspended tenant
    ok("tenants", "resume", "acme")
    assert as_tenant(monkeypatch, key, "credentials", "list", "--json") == (0, "[]\n")

    refused = runner.invoke(app, ["tenants", "remove", "acme"], input="n\n")
    assert refused.exit_code == 1 and "Nothing removed" in refused.stderr
    ok("tenants", "remove", "acme", "--yes")
    missing = runner.invoke(app, ["tenants", "show", "acme"])
    assert missing.exit_code == 1 and "tenant_not_found" in missing.stderr
    assert as_tenant(monkeypatch, key, "requests", "list")[0] == 1


def test_keys_are_shown_once_listed_masked_and_revoked_at_once(monkeypatch: pytest.MonkeyPatch):
    first = ok("tenants", "add", "acme").strip()
    created = json.loads(ok("keys", "create", "--tenant", "acme", "--label", "worker", "--json"))
    second = created["key"]
    listing, table = ok("keys", "list", "-t", "acme", "--json"), ok("keys", "list", "-t", "acme")
    for text in (listing, table):
        assert first not in text and second not in text
    assert f"{second[:7]}…{second[-4:]}" in table and "worker" in table
    first_id = next(k["id"] for k in json.loads(listing) if k["id"] != created["id"])

    revoked = runner.invoke(app, ["keys", "revoke", first_id, "-t", "acme"])
    assert revoked.exit_code == 0 and "Revoked" in revoked.stderr
    code, output = as_tenant(monkeypatch, first, "requests", "list")
    assert code == 1 and "tenant_not_resolved" in output
    assert "has been revoked" in output and "kt keys create" in output
    assert "no tenant has this key" in as_tenant(monkeypatch, "kt_never-issued", "requests", "list")[1]
    assert as_tenant(monkeypatch, second, "requests", "list", "--json")[0] == 0
    statuses = {k["id"]: k["status"] for k in json.loads(ok("keys", "list", "-t", "acme", "--json"))}
    assert statuses == {first_id: "revoked", created["id"]: "active"}
    unknown = runner.invoke(app, ["keys", "revoke", "key_nope", "-t", "acme"])
    assert unknown.exit_code == 1 and "key_not_found" in unknown.stderr


def test_credentials_update_show_and_test(fake_openai: FakeOpenAI):
    ok("init")
    meta = json.loads(
        ok(
            "credentials",
            "add",
            "openai_compatible",
            "--base-url",
            fake_openai.base_url,
            "--json",
            input=PROVIDER_SECRET,
        )
    )
    cred = meta["id"]
    off = json.loads(ok("credentials", "update", cred, "--label", "lab", "--deactivate", "--json"))
    assert (off["label"], off["status"]) == ("lab", "inactive")
    on = json.loads(ok("credentials", "update", cred, "--activate", "--config", "defaultModel=llama-3.1-8b", "--json"))
    assert on["status"] == "active" and on["config"]["defaultModel"] == "llama-3.1-8b"

    tested = runner.invoke(app, ["credentials", "test", cred])
    assert tested.exit_code == 0 and "ok" in tested.stderr and "llama-3.1-8b" in tested.stderr
    fake_openai.expected_key = "sk-rotated-key-000000000000"
    failed = runner.invoke(app, ["credentials", "test", cred, "--json"])
    assert failed.exit_code == 1 and json.loads(failed.stdout)["status"] == "auth_failed"
    rotated = json.loads(ok("credentials", "update", cred, "--rotate", "--json", input="sk-rotated-key-000000000000\n"))
    assert rotated["last4"] == "0000"
    assert runner.invoke(app, ["credentials", "test", cred]).exit_code == 0

    cleared = json.loads(ok("credentials", "update", cred, "--config", "defaultModel=", "--json"))
    assert "defaultModel" not in cleared["config"]
    shown = ok("credentials", "show", cred)
    assert "…0000" in shown and "sk-rotated" not in shown and PROVIDER_SECRET not in shown
    assert "kt credentials list" in runner.invoke(app, ["credentials", "show", "cred_nope"]).stderr


def test_admin_commands_against_a_running_daemon(isolated_env: Path, fake_openai: FakeOpenAI, tmp_path: Path):
    env = dict(os.environ)
    proc, info = start_kt_serve(isolated_env, tmp_path / "serve.out", env=env)
    try:
        added = kt("tenants", "add", "acme", "--monthly-requests", "1", "--json", env=env)
        assert added.returncode == 0, added.stderr
        key = json.loads(added.stdout)["key"]["key"]
        tenant_env = {**env, "KILLTOKEN_API_KEY": key, "CANARY": PROVIDER_SECRET}
        stored = kt(
            "credentials",
            "add",
            "openai_compatible",
            "--base-url",
            fake_openai.base_url,
            "--from-env",
            "CANARY",
            env=tenant_env,
        )
        assert stored.returncode == 0, stored.stderr
        body = {"provider": "openai_compatible", "model": "m", "messages": [{"role": "user", "content": "hi"}]}
        with httpx.Client(base_url=str(info["url"]), headers={"Authorization": f"Bearer {key}"}) as http:
            assert http.post("/v1/chat", json=body).status_code == 200
            assert http.post("/v1/chat", json=body).status_code == 402
            assert kt("tenants", "suspend", "acme", env=env).returncode == 0
            assert http.post("/v1/chat", json=body).status_code == 403
        shown = json.loads(kt("tenants", "show", "acme", "--json", env=env).stdout)
        assert (shown["status"], shown["usage"]["used"]) == ("suspended", 1)
    finally:
        assert stop_kt_serve(proc) == 0
