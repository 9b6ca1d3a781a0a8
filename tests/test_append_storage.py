"""Ledger segments encode only new records per batch, yet the file is exactly what TinyDB would have written."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from tinydb import TinyDB

from killtoken_proxy.store import atomic_storage
from killtoken_proxy.store.ledger.append_storage import AppendOnlyJSONStorage


def _record(n: int) -> dict[str, object]:
    return {"id": f"req_{n:04d}", "model": "gpt-4.1-mini", "cost_usd": "0.00001", "note": "é 😀", "tokens": n}


def test_each_batch_appends_and_the_file_is_the_whole_table(tmp_path: Path):
    path = tmp_path / "seg.json"
    db = TinyDB(path, storage=AppendOnlyJSONStorage)
    table = db.table("requests")
    for batch in range(5):
        table.insert_multiple([_record(batch * 10 + i) for i in range(batch + 1)])
        on_disk = orjson.loads(path.read_bytes())
        assert path.read_bytes() == orjson.dumps(on_disk)  # compact JSON, as a full encoding gives
        assert [doc["id"] for doc in on_disk["requests"].values()] == [doc["id"] for doc in table.all()]
    db.close()
    reopened = TinyDB(path, storage=AppendOnlyJSONStorage)
    assert len(reopened.table("requests")) == 15
    reopened.table("requests").insert(_record(99))  # a reopened file: its first write encodes everything
    assert [d["id"] for d in orjson.loads(path.read_bytes())["requests"].values()][-2:] == ["req_0044", "req_0099"]


def test_a_failed_write_keeps_the_old_file_and_the_next_write_is_complete(tmp_path: Path, monkeypatch):
    path = tmp_path / "seg.json"
    db = TinyDB(path, storage=AppendOnlyJSONStorage)
    table = db.table("requests")
    table.insert_multiple([_record(1), _record(2)])
    before = path.read_bytes()

    def refuse(fd: int, chunks: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(atomic_storage, "_write_all", refuse)
    with pytest.raises(OSError):
        table.insert(_record(3))
    assert path.read_bytes() == before and not list(tmp_path.glob(".seg.json.*"))
    monkeypatch.undo()
    table.insert(_record(4))
    ids = [doc["id"] for doc in orjson.loads(path.read_bytes())["requests"].values()]
    assert ids == ["req_0001", "req_0002", "req_0004"]  # the refused record was never stored
