"""End to end with real `kt serve` processes: cache entries and idempotency records survive a restart."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from tests.cache.conftest import PRICED
from tests.conftest import PROVIDER_SECRET
from tests.fakes.kt_daemon import kt, kt_serve
from tests.fakes.openai_server import FakeOpenAI


@contextmanager
def serving(home: Path, log: Path, env: dict[str, str]) -> Iterator[str]:
    with kt_serve(home, log, env=env) as (_proc, info):
        yield str(info["url"])


def chat(url: str, key: str, body: dict[str, Any]) -> httpx.Response:
    return httpx.post(f"{url}/v1/chat", json=body, headers={"Authorization": f"Bearer {key}"}, timeout=30)


def test_cache_entries_and_idempotency_records_survive_a_restart(
    isolated_env: Path, fake_openai: FakeOpenAI, tmp_path: Path
):
    env = {**os.environ, "CANARY_SECRET": PROVIDER_SECRET}
    keyed = {**PRICED, "cachePolicy": {"exactCache": "read_write"}, "idempotencyKey": "e2e-order-1"}

    with serving(isolated_env, tmp_path / "first.log", env) as url:
        key = next(line for line in (tmp_path / "first.log").read_text().splitlines() if line.startswith("kt_"))
        added = kt(
            "credentials", "add", "openai", "--base-url", fake_openai.base_url, "--from-env", "CANARY_SECRET", env=env
        )
        assert added.returncode == 0, added.stderr
        first = chat(url, key, keyed)
        assert first.status_code == 200, first.text
        original = first.json()["killtoken"]["metrics"]
        assert original["cacheStatus"] == "miss" and original["costUsd"] not in (None, "0")

    with serving(isolated_env, tmp_path / "second.log", env) as url:
        replay = chat(url, key, keyed).json()["killtoken"]["metrics"]
        hit = chat(url, key, {**PRICED, "cachePolicy": {"exactCache": "read_only"}}).json()["killtoken"]["metrics"]
        reused = chat(url, key, {**keyed, "temperature": 0})
        stats = kt("cache", "stats", "--json", env=env)

    assert len(fake_openai.received) == 1
    assert replay["replay"] is True and replay["originalRequestId"] == original["requestId"]
    assert hit["cacheStatus"] == "hit" and hit["verifiedSavingsUsd"] == original["costUsd"]
    assert reused.status_code == 422 and reused.json()["error"] == "idempotency_key_reused"
    assert stats.returncode == 0, stats.stderr
    counted = json.loads(stats.stdout)
    assert (counted["entries"], counted["lookups"], counted["hits"]) == (1, 2, 1)
    assert counted["verifiedSavingsUsd"] == original["costUsd"]

    stored = [p for p in isolated_env.rglob("*") if p.is_file()]
    answers = [p for p in stored if {"exact", "idempotency"} & set(p.parts)]
    assert {"exact", "idempotency"} <= {part for p in answers for part in p.parts}
    assert all(p.stat().st_mode & 0o777 == 0o600 for p in answers)  # they hold answers: owner only
    for path in stored:
        assert PROVIDER_SECRET not in path.read_bytes().decode("utf-8", "replace")
