"""`kt credentials add` at a terminal: the secret is asked for with hidden input, never echoed back."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import time

from tests.conftest import PROVIDER_SECRET
from tests.fakes.kt_daemon import KT, kt


def _read_until(fd: int, wanted: bytes, seen: bytearray, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while wanted not in seen:
        ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            raise AssertionError(f"no {wanted!r} on the terminal; it showed: {bytes(seen)!r}")
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # the child closed the terminal
            chunk = b""
        if not chunk:
            raise AssertionError(f"terminal closed before {wanted!r}; it showed: {bytes(seen)!r}")
        seen += chunk


def test_the_secret_is_typed_at_a_hidden_prompt_and_not_echoed():
    env = dict(os.environ)
    assert kt("init", env=env).returncode == 0
    controller, terminal = pty.openpty()
    add = [KT, "credentials", "add", "openai"]
    proc = subprocess.Popen(add, stdin=terminal, stdout=terminal, stderr=terminal, env=env)
    os.close(terminal)
    seen = bytearray()
    try:
        # getpass prints its prompt after turning echo off (and flushing what was typed ahead): wait for it
        _read_until(controller, b"openai API key: ", seen)
        os.write(controller, PROVIDER_SECRET.encode() + b"\r")
        assert proc.wait(timeout=60) == 0, bytes(seen)
        while select.select([controller], [], [], 0.2)[0]:
            try:
                chunk = os.read(controller, 4096)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
    finally:
        os.close(controller)
        if proc.poll() is None:
            proc.kill()
    assert PROVIDER_SECRET.encode() not in seen, "the terminal echoed the secret"
    assert PROVIDER_SECRET[-4:].encode() in seen, "the confirmation shows the last four characters"
    listed = kt("credentials", "list", "--json", env=env)
    assert listed.returncode == 0
    assert [(c["provider"], c["last4"]) for c in json.loads(listed.stdout)] == [("openai", PROVIDER_SECRET[-4:])]
