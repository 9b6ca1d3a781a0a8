"""Secrets: the encrypted vault, a real keyring backend, and plain guidance when neither is usable."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import keyring
import pytest
from keyring.backend import KeyringBackend
from typer.testing import CliRunner

from killtoken_cli.in_process import InProcessTransport
from killtoken_cli.main import app
from killtoken_proxy.app import create_app
from killtoken_proxy.secrets.backend import choose_backend
from killtoken_proxy.secrets.vault import EncryptedFileKeyring, VaultKeyMismatch
from killtoken_proxy.settings import Settings
from tests.conftest import PROVIDER_SECRET

runner = CliRunner()


def test_vault_round_trip_never_holds_plaintext(tmp_path: Path):
    path = tmp_path / "vault.json"
    vault = EncryptedFileKeyring(path, "master-one")
    vault.set_password("killtoken", "credential:x", PROVIDER_SECRET)
    assert PROVIDER_SECRET not in path.read_text()
    assert EncryptedFileKeyring(path, "master-one").get_password("killtoken", "credential:x") == PROVIDER_SECRET
    with pytest.raises(VaultKeyMismatch):
        EncryptedFileKeyring(path, "master-two")


def test_wrong_master_key_is_reported_not_crashed(settings: Settings, monkeypatch: pytest.MonkeyPatch):
    EncryptedFileKeyring(settings.paths.vault_file, "the-right-key").set_password("killtoken", "a", "b")
    choice = choose_backend(settings.replace(master_key="the-wrong-key"))
    assert not choice.usable and "KILLTOKEN_MASTER_KEY does not open the vault" in (choice.problem or "")


class MemoryKeyring(KeyringBackend):
    priority = 5  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.items: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.items.pop((service, username))


def test_os_keyring_is_used_when_no_master_key(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("KILLTOKEN_MASTER_KEY")
    memory = MemoryKeyring()
    monkeypatch.setattr(keyring, "get_keyring", lambda: memory)
    assert runner.invoke(app, ["init"]).exit_code == 0
    added = runner.invoke(app, ["credentials", "add", "openai", "--json"], input=PROVIDER_SECRET + "\n")
    assert added.exit_code == 0, added.output
    cred_id = json.loads(added.stdout)["id"]
    assert memory.items[("killtoken", f"credential:{cred_id}")] == json.dumps(
        {"apiKey": PROVIDER_SECRET}, separators=(",", ":")
    )
    assert ("killtoken", "tenant-key:default") in memory.items


def test_without_any_secret_store_serve_still_starts_and_says_how_to_fix(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("KILLTOKEN_MASTER_KEY")  # and the OS keyring is keyring's `fail` backend
    init = runner.invoke(app, ["init"])
    assert init.exit_code == 0
    key = next(line for line in init.stdout.splitlines() if line.startswith("kt_"))
    assert "KILLTOKEN_MASTER_KEY" in init.stderr

    transport = InProcessTransport(create_app(Settings.from_env()))
    try:
        with httpx.Client(transport=transport, base_url="http://kt") as http:
            ready = http.get("/ready")
            assert ready.status_code == 503
            assert "KILLTOKEN_MASTER_KEY" in ready.json()["checks"]["secrets"]["detail"]
            assert http.get("/health").status_code == 200
            added = http.post(
                "/v1/provider-credentials",
                headers={"Authorization": f"Bearer {key}"},
                json={"provider": "openai", "apiKey": PROVIDER_SECRET},
            )
            assert added.status_code == 503 and added.json()["error"] == "secrets_unavailable"
            assert "KILLTOKEN_MASTER_KEY" in added.json()["message"]
            assert http.get("/v1/provider-credentials", headers={"Authorization": f"Bearer {key}"}).json() == {
                "data": []
            }
    finally:
        transport.close()

    monkeypatch.setenv("KILLTOKEN_API_KEY", key)
    cli = runner.invoke(app, ["credentials", "add", "openai"], input=PROVIDER_SECRET + "\n")
    assert cli.exit_code == 4 and "KILLTOKEN_MASTER_KEY" in cli.stderr and "Traceback" not in cli.output


def test_a_working_os_keyring_wins_over_the_master_key_unless_the_vault_holds_secrets(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
):
    memory = MemoryKeyring()
    monkeypatch.setattr(keyring, "get_keyring", lambda: memory)
    assert settings.master_key and not settings.paths.vault_file.exists()
    assert choose_backend(settings).backend is memory  # the vault is for machines without a keyring

    EncryptedFileKeyring(settings.paths.vault_file, settings.master_key).set_password("killtoken", "a", "b")
    vault = choose_backend(settings).backend
    assert isinstance(vault, EncryptedFileKeyring) and vault.get_password("killtoken", "a") == "b"

    monkeypatch.setattr(keyring, "get_keyring", lambda: keyring.backends.fail.Keyring())
    settings.paths.vault_file.unlink()
    assert isinstance(choose_backend(settings).backend, EncryptedFileKeyring)  # no keyring: a new vault
