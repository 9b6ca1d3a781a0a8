"""The encrypted-file vault end to end: no plaintext through add/rotate/delete, clear errors for a wrong key."""

from __future__ import annotations

import json
import stat

import httpx
import pytest
from typer.testing import CliRunner

from killtoken_cli.in_process import InProcessTransport
from killtoken_cli.main import app
from killtoken_proxy.app import create_app
from killtoken_proxy.secrets.backend import SERVICE, choose_backend
from killtoken_proxy.secrets.secret_store import tenant_key_entry
from killtoken_proxy.settings import Settings
from tests.admin_helpers import chat_body
from tests.conftest import PROVIDER_SECRET, free_port
from tests.fakes.openai_server import FakeOpenAI

runner = CliRunner()
ROTATED = "sk-vault-rotated-8d6f2b0c4a"


def _tenant_key(settings: Settings) -> str:
    """The default tenant's key, as `kt init` kept it in the vault."""
    backend = choose_backend(settings).backend
    assert backend is not None
    return str(backend.get_password(SERVICE, tenant_key_entry("default")))


def _add(fake: FakeOpenAI) -> str:
    assert runner.invoke(app, ["init"]).exit_code == 0
    added = runner.invoke(
        app,
        ["credentials", "add", "openai_compatible", "--base-url", fake.base_url, "--json"],
        input=PROVIDER_SECRET,
    )
    assert added.exit_code == 0, added.output
    return str(json.loads(added.stdout)["id"])


def test_the_vault_file_never_holds_a_secret_through_add_rotate_and_delete(settings: Settings, fake_openai: FakeOpenAI):
    credential = _add(fake_openai)
    vault = settings.paths.vault_file
    assert stat.S_IMODE(vault.stat().st_mode) == 0o600
    document = json.loads(vault.read_text())
    assert document["kdf"].startswith("scrypt") and f"credential:{credential}" in document["entries"]["killtoken"]
    rotate = runner.invoke(app, ["credentials", "update", credential, "--rotate"], input=ROTATED + "\n")
    assert rotate.exit_code == 0, rotate.output
    for text in (vault.read_text(), settings.paths.main_db.read_text()):
        assert PROVIDER_SECRET not in text and ROTATED not in text and ROTATED[-10:] not in text
    assert runner.invoke(app, ["credentials", "remove", credential]).exit_code == 0
    assert f"credential:{credential}" not in vault.read_text()


def test_a_restarted_gateway_reads_the_secret_back_from_the_vault(settings: Settings, fake_openai: FakeOpenAI):
    _add(fake_openai)
    tenant_key = _tenant_key(settings)
    transport = InProcessTransport(create_app(settings))
    with httpx.Client(
        transport=transport, base_url="http://kt", headers={"Authorization": f"Bearer {tenant_key}"}
    ) as http:
        assert http.post("/v1/chat", json=chat_body()).status_code == 200
    assert fake_openai.received[-1].headers["authorization"] == f"Bearer {PROVIDER_SECRET}"


def test_a_wrong_master_key_is_a_clear_error_everywhere(
    settings: Settings, fake_openai: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
):
    _add(fake_openai)
    monkeypatch.setenv("KILLTOKEN_API_KEY", _tenant_key(settings))
    monkeypatch.setenv("KILLTOKEN_MASTER_KEY", "not-the-key-the-vault-was-made-with")
    cli = runner.invoke(app, ["credentials", "add", "openai"], input="sk-another-secret-000000\n")
    assert cli.exit_code == 4 and "Traceback" not in cli.output
    assert "KILLTOKEN_MASTER_KEY does not open the vault" in cli.stderr

    wrong = Settings.from_env()
    transport = InProcessTransport(create_app(wrong))
    with httpx.Client(transport=transport, base_url="http://kt") as http:
        ready = http.get("/ready")
        assert ready.status_code == 503
        assert "KILLTOKEN_MASTER_KEY does not open the vault" in ready.json()["checks"]["secrets"]["detail"]


def test_a_wrong_master_key_refuses_chat_without_calling_the_provider(
    settings: Settings, fake_openai: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
):
    _add(fake_openai)
    tenant_key = _tenant_key(settings)
    wrong = settings.replace(master_key="not-the-key-the-vault-was-made-with")
    transport = InProcessTransport(create_app(wrong))
    with httpx.Client(
        transport=transport, base_url="http://kt", headers={"Authorization": f"Bearer {tenant_key}"}
    ) as http:
        refused = http.post("/v1/chat", json=chat_body())
        assert refused.status_code == 503 and refused.json()["error"] == "secrets_unavailable"
        message = refused.json()["message"]
        assert "cannot be read: KILLTOKEN_MASTER_KEY does not open the vault" in message
        assert "`kt serve`" in message and "--rotate" not in message and "when the daemon started" not in message
        stored = http.post("/v1/provider-credentials", json={"provider": "openai", "apiKey": "sk-x-000000000000000"})
        assert stored.status_code == 503 and "KILLTOKEN_MASTER_KEY does not open the vault" in stored.json()["message"]
    assert fake_openai.received == []


def test_a_damaged_vault_file_is_reported_not_crashed(settings: Settings):
    settings.paths.ensure()
    settings.paths.vault_file.write_text("{not json")
    transport = InProcessTransport(create_app(settings))
    with httpx.Client(transport=transport, base_url="http://kt") as http:
        detail = http.get("/ready").json()["checks"]["secrets"]["detail"]
    assert "The vault file cannot be read" in detail


def test_without_the_master_key_kt_says_to_set_it_not_to_restart_or_rotate(
    settings: Settings, fake_openai: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
):
    credential = _add(fake_openai)  # stored in the vault (master key set, no OS keyring)
    monkeypatch.delenv("KILLTOKEN_MASTER_KEY")  # a later shell; no daemon runs, so `kt` works in-process
    for command in (
        ["chat", "Hello", "--provider", "openai_compatible", "--model", "llama-3.1-8b"],
        ["credentials", "update", credential, "--rotate"],
    ):
        result = runner.invoke(app, command, input=ROTATED + "\n")
        assert result.exit_code == 4 and "Traceback" not in result.output, result.output
        said = result.stderr
        assert f"encrypted vault at {settings.paths.vault_file}" in said and "KILLTOKEN_MASTER_KEY is not set" in said
        assert "Export KILLTOKEN_MASTER_KEY with the key the vault was created with" in said
        assert "when the daemon started" not in said and "No secure OS keyring" not in said
        assert PROVIDER_SECRET not in result.output and ROTATED not in result.output
    assert fake_openai.received == []


@pytest.mark.parametrize("master_key", [None, "not-the-key-the-vault-was-made-with"])
def test_serve_warns_at_start_when_the_vault_cannot_be_opened(
    settings: Settings, fake_openai: FakeOpenAI, monkeypatch: pytest.MonkeyPatch, master_key: str | None
):
    from killtoken_proxy import server

    _add(fake_openai)
    if master_key is None:
        monkeypatch.delenv("KILLTOKEN_MASTER_KEY")
    else:
        monkeypatch.setenv("KILLTOKEN_MASTER_KEY", master_key)
    monkeypatch.setattr(server, "serve", lambda *args, **kwargs: True)  # the banner, not a running server
    result = runner.invoke(app, ["serve", "--port", str(free_port())])
    assert result.exit_code == 0, result.output
    problem = choose_backend(Settings.from_env()).problem
    assert problem is not None and problem in result.stderr  # the very text GET /ready gives
    assert result.stderr.index(problem) < result.stderr.index("KillToken listening on")


def test_serve_with_the_right_master_key_prints_no_warning(
    settings: Settings, fake_openai: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
):
    from killtoken_proxy import server

    _add(fake_openai)
    monkeypatch.setattr(server, "serve", lambda *args, **kwargs: True)
    result = runner.invoke(app, ["serve", "--port", str(free_port())])
    assert result.exit_code == 0 and "Warning" not in result.stderr and "KillToken listening on" in result.stderr
