"""A real `kt serve` process for end-to-end tests: start it on a free port, wait until it answers, stop it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.conftest import free_port

KT = str(Path(sys.executable).with_name("kt"))


def kt(*args: str, env: dict[str, str], stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([KT, *args], env=env, input=stdin, capture_output=True, text=True, timeout=60)


def wait_for_daemon(home: Path, proc: subprocess.Popen[str]) -> dict[str, object]:
    """`daemon.json` of *this* process (a killed daemon's stale file names another pid), once /health answers."""
    daemon_file = home / "state" / "daemon.json"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert proc.poll() is None, "kt serve exited early"
        try:
            info = json.loads(daemon_file.read_text())
            if info["pid"] == proc.pid and httpx.get(f"{info['url']}/health").status_code == 200:
                return dict(info)
        except (OSError, ValueError, KeyError, httpx.TransportError):
            pass
        time.sleep(0.1)
    raise AssertionError("kt serve did not come up")


def start_kt_serve(
    home: Path, log: Path, *extra: str, env: dict[str, str] | None = None, port: int | None = None
) -> tuple[subprocess.Popen[str], dict[str, object]]:
    """`kt serve --port N [extra]` with stdout and stderr appended to `log`; returns it and its daemon.json."""
    with open(log, "a") as out:
        proc = subprocess.Popen(
            [KT, "serve", "--port", str(port or free_port()), *extra],
            env=env if env is not None else dict(os.environ),
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
        )
    try:
        return proc, wait_for_daemon(home, proc)
    except BaseException:
        proc.kill()
        proc.wait(timeout=30)
        raise


def stop_kt_serve(proc: subprocess.Popen[str], sig: int = signal.SIGTERM) -> int:
    """Stop it as a user would (SIGTERM, or SIGINT for Ctrl-C); returns the exit code (0 on a clean stop)."""
    if proc.poll() is None:
        proc.send_signal(sig)
    return proc.wait(timeout=30)


@contextmanager
def kt_serve(
    home: Path, log: Path, *extra: str, env: dict[str, str] | None = None, port: int | None = None
) -> Iterator[tuple[subprocess.Popen[str], dict[str, object]]]:
    """A running daemon for the block; afterwards it must have stopped cleanly (exit code 0)."""
    proc, info = start_kt_serve(home, log, *extra, env=env, port=port)
    try:
        yield proc, info
    finally:
        assert stop_kt_serve(proc) == 0, log.read_text()[-2000:]
