"""Storage: the single-writer lock, atomic files, and a ledger written behind the request."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from killtoken_proxy.errors import StoreLocked
from killtoken_proxy.runtime import Runtime
from killtoken_proxy.settings import Settings
from killtoken_proxy.store.ledger import Ledger


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


def record(i: int, month: str = "2026-12") -> dict[str, object]:
    return {"id": f"req_{i:05d}", "created_at": f"{month}-03T10:00:00+00:00", "tenant_id": "tn_a", "feature": "f"}


def test_ledger_batches_behind_the_request_and_splits_by_month(tmp_path: Path):
    async def scenario() -> list[dict[str, object]]:
        ledger = Ledger(tmp_path, batch_wait=0.01)
        ledger.start()
        for i in range(50):
            ledger.record(record(i))
        ledger.record(record(99, month="2026-11"))
        await ledger.flush()
        rows = ledger.query("tn_a", limit=100)
        await ledger.close()
        return rows

    rows = asyncio.run(scenario())
    assert [r["id"] for r in rows][:2] == ["req_00049", "req_00048"] and len(rows) == 51
    assert sorted(p.name for p in tmp_path.glob("*.json")) == ["requests-2026-11.json", "requests-2026-12.json"]
    reopened = Ledger(tmp_path)
    assert len(reopened.query("tn_a", limit=100)) == 51
    assert reopened.query("tn_b", limit=100) == []
    assert not list(tmp_path.glob(".*"))  # no temp files left behind


def test_close_flushes_records_still_queued(tmp_path: Path):
    async def scenario() -> None:
        ledger = Ledger(tmp_path, batch_wait=5)
        ledger.start()
        ledger.record(record(1))
        await ledger.close()

    asyncio.run(scenario())
    assert Ledger(tmp_path).get("tn_a", "req_00001") is not None
