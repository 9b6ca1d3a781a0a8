"""What `kt` says when a daemon already runs, holds the store, or cannot be reached: where, and what to do."""

from __future__ import annotations

import json
import os

from typer.testing import CliRunner

from killtoken_cli.main import app
from killtoken_proxy.settings import Settings
from killtoken_proxy.store.lock import StoreLock
from tests.conftest import free_port

runner = CliRunner()


def _pretend_daemon_at(settings: Settings, url: str) -> None:
    settings.paths.ensure()
    settings.paths.daemon_file.write_text(json.dumps({"pid": os.getpid(), "url": url}))


def test_second_serve_names_the_running_daemon_before_touching_the_port(settings: Settings):
    url = f"http://127.0.0.1:{free_port()}"
    _pretend_daemon_at(settings, url)
    result = runner.invoke(app, ["serve", "--port", str(free_port())])
    assert result.exit_code == 3
    assert f"already running at {url} (pid {os.getpid()})" in result.stderr
    assert "--port" in result.stderr and "Traceback" not in result.output


def test_serve_while_another_process_holds_the_store_says_so(settings: Settings):
    settings.paths.ensure()
    lock = StoreLock(settings.paths.lock_file, settings.paths.daemon_file)
    lock.acquire()
    try:
        result = runner.invoke(app, ["serve", "--port", str(free_port())])
    finally:
        lock.release()
    assert result.exit_code == 3 and "in use by another process" in result.stderr


def test_an_unreachable_daemon_is_named_with_its_address(settings: Settings):
    assert runner.invoke(app, ["init"]).exit_code == 0
    url = f"http://127.0.0.1:{free_port()}"  # daemon.json points at a port nobody listens on
    _pretend_daemon_at(settings, url)
    result = runner.invoke(app, ["requests", "list"])
    assert result.exit_code == 3
    assert f"Cannot reach the KillToken gateway at {url}" in result.stderr and "kt serve" in result.stderr
