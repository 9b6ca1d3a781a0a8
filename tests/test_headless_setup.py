"""A machine without an OS keyring: `kt serve` runs on the vault, and `kt` in another shell still has its key."""

from __future__ import annotations

import json
import os
import stat

import pytest
from typer.testing import CliRunner

from killtoken_cli.main import app
from killtoken_proxy.settings import Settings

runner = CliRunner()


def _init_printed_key() -> str:
    created = runner.invoke(app, ["init"])  # KILLTOKEN_MASTER_KEY set (conftest), failing OS keyring
    assert created.exit_code == 0, created.output
    return created.stdout.strip()


def test_kt_without_the_master_key_uses_its_owner_only_key_file(monkeypatch: pytest.MonkeyPatch):
    key = _init_printed_key()
    key_file = Settings.from_env().paths.cli_key_file
    assert key_file.read_text().strip() == key
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    monkeypatch.delenv("KILLTOKEN_MASTER_KEY")  # a second shell that never exported it
    listed = runner.invoke(app, ["requests", "list", "--json"])
    assert listed.exit_code == 0, listed.output
    assert json.loads(listed.stdout) == []


def test_without_any_key_kt_names_the_commands_that_give_it_one(monkeypatch: pytest.MonkeyPatch):
    _init_printed_key()
    Settings.from_env().paths.cli_key_file.unlink()
    monkeypatch.delenv("KILLTOKEN_MASTER_KEY")
    result = runner.invoke(app, ["requests", "list"])
    assert result.exit_code == 2
    assert "KILLTOKEN_API_KEY" in result.stderr and "kt init --key" in result.stderr
    assert "kt keys create" in result.stderr and "Traceback" not in result.output
    assert "KILLTOKEN_MASTER_KEY is not set" in result.stderr  # the vault holds a copy of the key, closed


def test_init_key_checks_the_key_then_saves_it(monkeypatch: pytest.MonkeyPatch):
    key = _init_printed_key()
    key_file = Settings.from_env().paths.cli_key_file
    key_file.unlink()
    bogus = runner.invoke(app, ["init", "--key", "kt_not-a-key-anyone-issued"])
    assert bogus.exit_code == 1 and "tenant_not_resolved" in bogus.stderr and not key_file.exists()
    not_ours = runner.invoke(app, ["init", "--key", "sk-provider-key"])
    assert not_ours.exit_code == 2 and "kt_" in not_ours.stderr
    saved = runner.invoke(app, ["init", "--key", "-"], input=key + "\n")
    assert saved.exit_code == 0 and "tenant `default`" in saved.stderr and key not in saved.output
    assert key_file.read_text().strip() == key
    monkeypatch.delenv("KILLTOKEN_MASTER_KEY")
    assert runner.invoke(app, ["requests", "list", "--json"]).exit_code == 0
