"""`kt serve` logs no line per request unless `--access-log` asks for it (a log line costs CPU on every call)."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.fakes.kt_daemon import kt_serve


def serve_and_call(home: Path, log: Path, *extra: str) -> str:
    with kt_serve(home, log, *extra) as (_proc, info):
        for _ in range(3):
            assert httpx.get(f"{info['url']}/health").status_code == 200
    return log.read_text()


def test_no_access_log_by_default_and_one_line_per_request_when_asked(isolated_env: Path, tmp_path: Path):
    quiet = serve_and_call(isolated_env, tmp_path / "quiet.log")
    assert "Uvicorn running on" in quiet  # the startup log is still there
    assert "GET /health" not in quiet

    logged = serve_and_call(isolated_env, tmp_path / "logged.log", "--access-log")
    assert logged.count('"GET /health HTTP/1.1" 200') >= 3
