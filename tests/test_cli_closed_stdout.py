"""`kt ... | head`: a reader that goes away stops `kt` quietly, never as "Cannot reach the daemon" or a traceback."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from killtoken_cli.main import app
from tests.fakes.kt_daemon import KT

runner = CliRunner()


@pytest.mark.parametrize(
    "args",
    [
        ("export", "requests", "--format", "json"),  # raw bytes, flushed inside the command
        ("requests", "list", "--json"),  # text buffered until the interpreter exits
        ("tenants", "list"),  # a rich table
    ],
)
def test_a_closed_stdout_ends_kt_silently(args: tuple[str, ...]):
    assert runner.invoke(app, ["init"]).exit_code == 0
    proc = subprocess.Popen([KT, *args], env=dict(os.environ), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None
    proc.stdout.close()  # the reader is gone before `kt` writes a byte
    _, stderr = proc.communicate(timeout=60)
    assert stderr.decode() == "" and proc.returncode == 1


def test_only_connection_errors_blame_the_daemon(tmp_path: Path):
    assert runner.invoke(app, ["init"]).exit_code == 0
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("")
    result = runner.invoke(app, ["export", "requests", "--out", str(blocked / "requests.csv")])
    assert result.exit_code == 1, result.output
    assert "daemon" not in result.stderr and "not-a-folder" in result.stderr
