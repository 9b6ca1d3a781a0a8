"""`/ready` tells a supervisor whether the store can take writes, not just whether the process is up."""

from __future__ import annotations

import errno
import tempfile
from typing import Any

import httpx
import pytest

from killtoken_cli.in_process import InProcessTransport
from killtoken_proxy.api import health
from killtoken_proxy.app import create_app
from killtoken_proxy.settings import Settings


def _ready(settings: Settings, before: Any = None) -> httpx.Response:
    app = create_app(settings)
    transport = InProcessTransport(app)
    try:
        with httpx.Client(transport=transport, base_url="http://kt") as http:
            if before is not None:
                before(app.state.runtime)
            return http.get("/ready")
    finally:
        transport.close()


def test_ready_when_the_store_is_open_and_writable(settings: Settings):
    answer = _ready(settings)
    assert answer.status_code == 200 and answer.json()["status"] == "ready"
    assert answer.json()["checks"]["store"] == {"ok": True, "detail": str(settings.paths.data)}


def test_a_full_disk_makes_the_gateway_not_ready(settings: Settings, monkeypatch: pytest.MonkeyPatch):
    real_mkstemp = tempfile.mkstemp

    def full(*args: Any, **kwargs: Any) -> Any:
        if kwargs.get("prefix") == ".ready-":
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_mkstemp(*args, **kwargs)

    monkeypatch.setattr(health.tempfile, "mkstemp", full)
    answer = _ready(settings)
    assert answer.status_code == 503 and answer.json()["status"] == "not_ready"
    assert answer.json()["checks"]["store"] == {
        "ok": False,
        "detail": "the data folder is not writable: No space left on device",
    }


def test_without_the_store_lock_the_gateway_is_not_ready(settings: Settings):
    answer = _ready(settings, before=lambda runtime: runtime.lock.release())
    assert answer.status_code == 503
    assert answer.json()["checks"]["store"] == {"ok": False, "detail": "the store lock is not held"}
