"""A real `kt serve` killed with SIGKILL under steady load: every file loads, no record twice, bounded loss."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.conftest import PROVIDER_SECRET
from tests.fakes.kt_daemon import kt, start_kt_serve, stop_kt_serve
from tests.fakes.openai_server import FakeOpenAI

BATCH_MAX = 500  # the ledger's documented bound: one batch (Settings.ledger_batch_max)
MIN_ANSWERED = 150
LOSS_WINDOW = 0.5  # s before the kill: the writer persists every 50 ms, the rest is slack for a busy CI box


@contextmanager
def daemon(home: Path, log: Path) -> Iterator[tuple[subprocess.Popen[str], str, str]]:
    proc, info = start_kt_serve(home, log)
    try:
        keys = [line for line in log.read_text().splitlines() if line.startswith("kt_")]
        yield proc, str(info["url"]), keys[0]
    finally:
        stop_kt_serve(proc)  # already killed in the crash test: nothing to stop


def steady_load(url: str, key: str, seconds: float) -> tuple[dict[str, float], threading.Event]:
    """Four clients calling in a loop; returns {request id: when its answer arrived} as it fills."""
    answered: dict[str, float] = {}
    stop = threading.Event()

    def client() -> None:
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"}, timeout=5) as http:
            while not stop.is_set():
                try:
                    response = http.post(
                        "/v1/chat",
                        json={
                            "provider": "openai_compatible",
                            "model": "m",
                            "messages": [{"role": "user", "content": "hi"}],
                        },
                        headers={"x-killtoken-feature": "crash-test"},
                    )
                except httpx.HTTPError:
                    return  # the daemon is gone
                if response.status_code == 200:
                    answered[response.headers["x-killtoken-request-id"]] = time.monotonic()

    threads = [threading.Thread(target=client, daemon=True) for _ in range(4)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 4 * seconds  # a busy machine answers slower: wait for enough traffic
    time.sleep(seconds)
    while len(answered) < MIN_ANSWERED and time.monotonic() < deadline:
        time.sleep(0.05)
    return answered, stop


def ledger_ids(home: Path) -> list[str]:
    """Every record id in every segment file; every JSON file of the ledger must parse."""
    ids = []
    for path in sorted((home / "data" / "ledger").rglob("*.json")):
        document = json.loads(path.read_text())
        if path.name.startswith("seg-"):
            ids += [doc["id"] for doc in document["requests"].values()]
    return ids


def all_listed(url: str, key: str) -> list[str]:
    ids, cursor = [], None
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"}, timeout=30) as http:
        while True:
            page = http.get("/v1/requests", params={"limit": 500, **({"before": cursor} if cursor else {})}).json()
            ids += [r["id"] for r in page["data"]]
            if not page["hasMore"]:
                return ids
            cursor = page["nextCursor"]


def add_credential(fake: FakeOpenAI) -> None:
    env = {**os.environ, "CANARY_SECRET": PROVIDER_SECRET}
    added = kt(
        "credentials", "add", "openai_compatible", "--base-url", fake.base_url, "--from-env", "CANARY_SECRET", env=env
    )
    assert added.returncode == 0, added.stderr
    # A steady load is far above the default 120 requests/minute guardrail.
    lifted = kt("tenants", "update", "default", "--rate-limit", "100000", env=dict(os.environ))
    assert lifted.returncode == 0, lifted.stderr


def stopped_under_load(
    home: Path, fake: FakeOpenAI, log: Path, sig: signal.Signals
) -> tuple[dict[str, float], float, int]:
    """Start a daemon, load it, send `sig`: the answers received before it, when it was sent, the exit code."""
    with daemon(home, log) as (proc, url, key):
        add_credential(fake)
        answered, stop = steady_load(url, key, seconds=1.5)
        proc.send_signal(sig)
        sent_at = time.monotonic()
        code = proc.wait(timeout=30)
        stop.set()
    assert len(answered) >= MIN_ANSWERED, f"the load did not get going ({len(answered)} answers)"
    return {rid: at for rid, at in answered.items() if at <= sent_at}, sent_at, code


def test_kill_9_under_load_loses_at_most_the_last_batch(isolated_env: Path, fake_openai: FakeOpenAI, tmp_path: Path):
    log = tmp_path / "serve.log"
    answered, killed_at, _ = stopped_under_load(isolated_env, fake_openai, log, signal.SIGKILL)

    on_disk = ledger_ids(isolated_env)  # every file parses, straight after the kill
    assert len(on_disk) == len(set(on_disk)), "a record was written twice"
    lost = set(answered) - set(on_disk)
    assert len(lost) <= BATCH_MAX
    assert all(killed_at - answered[rid] <= LOSS_WINDOW for rid in lost), "lost a record older than the last batch"

    exported = tmp_path / "after.csv"
    with daemon(isolated_env, log) as (_proc, url, key):
        listed = all_listed(url, key)
        export = kt("export", "requests", "--out", str(exported), "--period", "all", env=dict(os.environ))
        summary = kt("analytics", "--period", "all", "--json", env=dict(os.environ))
    assert sorted(listed) == sorted(on_disk)  # the restarted daemon loads everything that was written
    assert export.returncode == 0 and summary.returncode == 0, export.stderr + summary.stderr
    assert sorted(row["id"] for row in csv.DictReader(exported.open())) == sorted(on_disk)  # streamed over HTTP
    assert json.loads(summary.stdout)["totals"]["requests"] == len(on_disk)
    assert not list((isolated_env / "data" / "ledger").rglob(".*")), "temp files of the cut write were cleaned"
    assert len(ledger_ids(isolated_env)) == len(on_disk)


def test_a_clean_stop_under_load_loses_nothing(isolated_env: Path, fake_openai: FakeOpenAI, tmp_path: Path):
    answered, _, code = stopped_under_load(isolated_env, fake_openai, tmp_path / "serve.log", signal.SIGTERM)
    on_disk = ledger_ids(isolated_env)
    missing = set(answered) - set(on_disk)
    assert code == 0, f"kt serve exited with {code} on SIGTERM"
    assert not missing, f"{len(missing)} of {len(answered)} answered requests are not in the ledger"
    assert len(on_disk) == len(set(on_disk))
