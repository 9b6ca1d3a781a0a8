"""`kt serve` logs no line per request unless `--access-log` asks for it (a log line costs CPU on every call)."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import httpx

from tests.conftest import free_port
from tests.test_e2e_serve import KT, wait_for_daemon


def serve_and_call(home: Path, log: Path, *extra: str) -> str:
    port = free_port()
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [KT, "serve", "--port", str(port), *extra],
            env=dict(os.environ),
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
        )
    try:
        info = wait_for_daemon(home, proc)
        for _ in range(3):
            assert httpx.get(f"{info['url']}/health").status_code == 200
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    return log.read_text()


def test_no_access_log_by_default_and_one_line_per_request_when_asked(isolated_env: Path, tmp_path: Path):
    quiet = serve_and_call(isolated_env, tmp_path / "quiet.log")
    assert "Uvicorn running on" in quiet  # the startup log is still there
    assert "GET /health" not in quiet

    logged = serve_and_call(isolated_env, tmp_path / "logged.log", "--access-log")
    assert logged.count('"GET /health HTTP/1.1" 200') >= 3
