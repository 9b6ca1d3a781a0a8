"""Storage: the single-writer lock (the ledger has its own tests in test_ledger.py)."""

from __future__ import annotations

import json

import pytest

from killtoken_proxy.errors import StoreLocked
from killtoken_proxy.runtime import Runtime
from killtoken_proxy.settings import Settings


def test_second_opener_gets_a_clear_error_naming_the_daemon(settings: Settings):
    settings.paths.ensure()
    settings.paths.daemon_file.write_text(json.dumps({"pid": 4242, "url": "http://127.0.0.1:9999"}))
    first = Runtime(settings)
    first.open()
    try:
        with pytest.raises(StoreLocked, match=r"pid 4242, http://127.0.0.1:9999"):
            Runtime(settings).open()
    finally:
        first.close()
    second = Runtime(settings)
    second.open()  # released: opens fine
    second.close()
