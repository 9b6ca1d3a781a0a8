"""The `kt` command in-process (no daemon): help, credentials, requests, completions, clear errors."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from killtoken_cli.main import app
from tests.conftest import PROVIDER_SECRET

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()


def test_help_works_and_stays_light():
    for args in (["--help"], ["serve", "--help"], ["credentials", "--help"], ["requests", "list", "--help"]):
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
    code = (
        "import sys, killtoken_cli.main; "
        "print(sorted(m for m in ('fastapi','uvicorn','tinydb','keyring','httpx','rich') if m in sys.modules))"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]"


def test_version_prints_the_package_version_without_touching_the_store(isolated_env: Path):
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0, result.output
    assert result.stdout == f"kt {importlib.metadata.version('killtoken')}\n"
    assert not isolated_env.exists()


def test_help_names_values_not_python_types():
    """Typer 0.27+ would print `--model <str>`, `<int range>`, `<list[str]>` and `kt chat [OPTIONS] {message}`."""
    pages = {
        ("chat",): ["Usage: kt chat [OPTIONS] MESSAGE", "MESSAGE  The user message", "--model MODEL", "--max-tokens N"],
        ("credentials", "add"): ["[OPTIONS] PROVIDER", "--from-env VAR", "--config KEY=VALUE", "--from-file FILE"],
        ("requests", "list"): ["--limit N", "--from DATE", "-t, --tenant TENANT"],
        ("requests", "show"): ["Usage: kt requests show [OPTIONS] REQUEST_ID"],
        ("templates", "render"): ["[OPTIONS] TEMPLATE", "--var NAME=VALUE", "--version N"],
        ("prices", "set"): ["[OPTIONS] PROVIDER MODEL", "--input USD"],
        ("serve",): ["--port PORT", "--log-level LEVEL"],
    }
    for command, expected in pages.items():
        result = runner.invoke(app, [*command, "--help"])
        assert result.exit_code == 0, result.output
        for text in expected:
            assert text in result.output, (command, text)
        assert not re.search(r"<[a-z][^>]*>|\{[a-z_]+\}|list\[", result.output), result.output


def test_command_lists_read_in_full_on_an_80_column_terminal():
    """Click cuts a command's first sentence with "..." where it does not fit beside the command's name."""
    import typer
    from typer.core import TyperGroup

    root = typer.main.get_command(app)
    assert isinstance(root, TyperGroup)
    groups = [()] + [(name,) for name, command in root.commands.items() if isinstance(command, TyperGroup)]
    for group in groups:
        result = runner.invoke(app, [*group, "--help"], terminal_width=78)  # click's width in an 80-column terminal
        assert result.exit_code == 0, result.output
        listed = result.stdout.split("Commands:\n", 1)[1]
        assert "..." not in listed, f"kt {' '.join(group)} --help:\n{listed}"


def test_init_prints_the_key_once(isolated_env: Path):
    first = runner.invoke(app, ["init"])
    assert first.exit_code == 0, first.output
    keys = [line for line in first.stdout.splitlines() if line.startswith("kt_")]
    assert len(keys) == 1
    second = runner.invoke(app, ["init"])
    assert second.exit_code == 0 and "kt_" not in second.stdout


def test_credentials_add_from_stdin_and_list_shows_metadata_only():
    assert runner.invoke(app, ["init"]).exit_code == 0
    added = runner.invoke(
        app, ["credentials", "add", "openai", "--label", "work", "--json"], input=PROVIDER_SECRET + "\n"
    )
    assert added.exit_code == 0, added.output
    meta = json.loads(added.stdout)
    assert meta["provider"] == "openai" and meta["label"] == "work" and meta["last4"] == PROVIDER_SECRET[-4:]
    listed = runner.invoke(app, ["credentials", "list", "--json"])
    assert [c["id"] for c in json.loads(listed.stdout)] == [meta["id"]]
    for output in (added.output, listed.output, runner.invoke(app, ["credentials", "list"]).output):
        assert PROVIDER_SECRET not in output and PROVIDER_SECRET[:-4] not in output
    assert "already has an active credential" not in added.stderr
    second = runner.invoke(app, ["credentials", "add", "openai", "--json"], input="sk-second-key-0000000000\n")
    assert second.exit_code == 0, second.output  # allowed (two keys may be wanted), but said out loud
    assert f"openai already has an active credential {meta['id']}" in second.stderr
    assert f"kt credentials update {meta['id']} --rotate" in second.stderr
    assert runner.invoke(app, ["credentials", "remove", json.loads(second.stdout)["id"]]).exit_code == 0
    removed = runner.invoke(app, ["credentials", "remove", meta["id"]])
    assert removed.exit_code == 0
    assert json.loads(runner.invoke(app, ["credentials", "list", "--json"]).stdout) == []


def test_credentials_list_and_update_show_a_short_secret_alike_as_hidden():
    assert runner.invoke(app, ["init"]).exit_code == 0
    added = runner.invoke(app, ["credentials", "add", "openai", "--json"], input="sk-short-0001\n")
    assert added.exit_code == 0, added.output
    meta = json.loads(added.stdout)
    assert meta["last4"] == ""  # too short to show any of it
    row = next(line for line in runner.invoke(app, ["credentials", "list"]).stdout.splitlines() if meta["id"] in line)
    assert "(hidden)" in row and "0001" not in row
    updated = runner.invoke(app, ["credentials", "update", meta["id"], "--label", "short"])
    assert "(hidden)" in updated.stdout


def test_credentials_add_from_env_with_base_url(monkeypatch: pytest.MonkeyPatch):
    assert runner.invoke(app, ["init"]).exit_code == 0
    monkeypatch.setenv("MY_KEY", PROVIDER_SECRET)
    added = runner.invoke(
        app,
        [
            "credentials",
            "add",
            "openai_compatible",
            "--from-env",
            "MY_KEY",
            "--base-url",
            "http://localhost:8000/v1",
            "--json",
        ],
    )
    assert added.exit_code == 0, added.output
    assert json.loads(added.stdout)["config"] == {"baseUrl": "http://localhost:8000/v1"}


def test_credentials_add_without_base_url_names_the_missing_field():
    assert runner.invoke(app, ["init"]).exit_code == 0
    result = runner.invoke(app, ["credentials", "add", "openai_compatible"], input=PROVIDER_SECRET + "\n")
    assert result.exit_code == 1
    assert "config.baseUrl" in result.stderr and PROVIDER_SECRET not in result.output


def test_commands_before_init_say_what_to_run():
    result = runner.invoke(app, ["requests", "list"])
    assert result.exit_code == 2  # a set-up step is missing: not a secret-store problem (4)
    assert "kt init" in result.stderr


def test_requests_list_empty_in_process():
    assert runner.invoke(app, ["init"]).exit_code == 0
    result = runner.invoke(app, ["requests", "list", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == []


def test_completion_scripts_are_current(tmp_path: Path):
    spec = importlib.util.spec_from_file_location("gen", ROOT / "scripts" / "generate_completions.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.main(tmp_path)
    for name in ("kt.bash", "kt.zsh", "kt.fish"):
        assert (tmp_path / name).read_text() == (ROOT / "completions" / name).read_text(), (
            f"completions/{name} is stale: run python scripts/generate_completions.py"
        )
