"""End to end: `kt serve` as a real process, a credential added with `kt`, a call from the OpenAI SDK."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from pathlib import Path

import openai

from tests.conftest import PROVIDER_SECRET, free_port
from tests.fakes.kt_daemon import KT, kt, start_kt_serve, stop_kt_serve, wait_for_daemon
from tests.fakes.openai_server import FakeOpenAI


def test_kt_serve_end_to_end(isolated_env: Path, fake_openai: FakeOpenAI, tmp_path: Path):
    env = {**os.environ, "CANARY_SECRET": PROVIDER_SECRET}
    port = free_port()
    out_path, err_path = tmp_path / "serve.out", tmp_path / "serve.err"
    with open(out_path, "w") as out, open(err_path, "w") as err:
        proc = subprocess.Popen([KT, "serve", "--port", str(port)], env=env, stdout=out, stderr=err, text=True)
    try:
        info = wait_for_daemon(isolated_env, proc)
        assert info["pid"] == proc.pid and info["url"] == f"http://127.0.0.1:{port}"
        key = next(line for line in out_path.read_text().splitlines() if line.startswith("kt_"))

        added = kt(
            "credentials",
            "add",
            "openai_compatible",
            "--base-url",
            fake_openai.base_url,
            "--from-env",
            "CANARY_SECRET",
            "--json",
            env=env,
        )
        assert added.returncode == 0, added.stderr
        assert json.loads(added.stdout)["provider"] == "openai_compatible"

        client = openai.OpenAI(
            base_url=f"{info['url']}/v1/openai",
            api_key=key,
            default_headers={"x-killtoken-feature": "e2e-feature"},
            max_retries=0,
        )
        raw = client.chat.completions.with_raw_response.create(
            model="llama-3.1-8b", messages=[{"role": "user", "content": "Capital of France?"}]
        )
        completion = raw.parse()
        assert raw.http_response.status_code == 200
        assert completion.choices[0].message.content == "Paris"
        metrics = completion.model_extra["killtoken"]["metrics"]
        assert (metrics["promptTokens"], metrics["completionTokens"], metrics["totalTokens"]) == (21, 2, 23)
        request_id = raw.headers["x-killtoken-request-id"]
        assert request_id == metrics["requestId"]
        assert fake_openai.received[-1].headers["authorization"] == f"Bearer {PROVIDER_SECRET}"

        listed = kt("requests", "list", "--json", env=env)
        assert listed.returncode == 0, listed.stderr
        record = next(r for r in json.loads(listed.stdout) if r["id"] == request_id)
        assert record["feature"] == "e2e-feature" and record["status"] == 200

        table = kt("requests", "list", env=env)
        creds = kt("credentials", "list", env=env)
        assert "e2e-feature" in table.stdout and "openai_compatible" in creds.stdout
    finally:
        proc.send_signal(signal.SIGTERM)
        exit_code = proc.wait(timeout=30)
    assert exit_code == 0
    assert not (isolated_env / "state" / "daemon.json").exists()
    ledger_text = "".join(p.read_text() for p in (isolated_env / "data" / "ledger").rglob("*.json"))
    assert request_id in ledger_text

    # The canary secret appears nowhere: not in logs, outputs, responses, the ledger or any stored file.
    outputs = [
        out_path.read_text(),
        err_path.read_text(),
        added.stdout,
        added.stderr,
        listed.stdout,
        table.stdout,
        creds.stdout,
        raw.http_response.text,
        json.dumps(dict(raw.headers)),
    ]
    stored = [p.read_bytes().decode("utf-8", "replace") for p in isolated_env.rglob("*") if p.is_file()]
    for text in outputs + stored:
        assert PROVIDER_SECRET not in text
        assert PROVIDER_SECRET[-12:] not in text


def test_second_daemon_on_the_same_store_is_refused_clearly(isolated_env: Path, tmp_path: Path):
    first, _info = start_kt_serve(isolated_env, tmp_path / "a.out")
    try:
        second = kt("serve", "--port", str(free_port()), env=dict(os.environ))
        assert second.returncode == 3
        assert f"pid {first.pid}" in second.stderr and "Traceback" not in second.stderr
    finally:
        assert stop_kt_serve(first, signal.SIGINT) == 0  # Ctrl-C
