"""The README's `curl` and Python SDK examples, run as written (real curl, a fresh interpreter) against a
live gateway and a fake OpenAI; only KILLTOKEN_BASE_URL / KILLTOKEN_API_KEY, which the README uses, are set."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import LiveGateway
from tests.fakes.openai_server import FakeOpenAI

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCK = re.compile(r"^```(\w+)\n(.*?)^```", re.DOTALL | re.MULTILINE)


def examples(language: str, marker: str) -> list[str]:
    found = [body for lang, body in BLOCK.findall(README.read_text()) if lang == language and marker in body]
    assert found, f"README has no {language} example using {marker}"
    return found


def json_documents(text: str) -> list[Any]:
    decoder, docs, at = json.JSONDecoder(), [], 0
    while at < len(text.rstrip()):
        doc, at = decoder.raw_decode(text, at)
        docs.append(doc)
        while at < len(text) and text[at].isspace():
            at += 1
    return docs


@pytest.fixture
def readme_env(gateway: LiveGateway, fake_openai: FakeOpenAI) -> dict[str, str]:
    gateway.add_credential("openai", baseUrl=fake_openai.base_url)
    return {**os.environ, "KILLTOKEN_BASE_URL": gateway.url, "KILLTOKEN_API_KEY": gateway.key}


def assert_recorded_chat(gateway: LiveGateway, doc: dict[str, Any]) -> None:
    assert doc["choices"][0]["message"]["content"] == "Paris"
    metrics = doc["killtoken"]["metrics"]
    assert metrics["provider"] == "openai" and metrics["feature"] == "my-feature-name" and metrics["costUsd"]
    with gateway.client() as http:
        record = http.get(f"/v1/requests/{metrics['requestId']}").json()
    assert record["status"] == 200


def test_readme_curl_examples_work_as_written(
    readme_env: dict[str, str], gateway: LiveGateway, fake_openai: FakeOpenAI
):
    curl = shutil.which("curl")
    assert curl is not None, "the README examples need curl"
    docs: list[Any] = []
    for block in examples("sh", "curl "):
        run = subprocess.run(["bash", "-c", block], env=readme_env, capture_output=True, text=True, timeout=60)
        assert run.returncode == 0, f"{block}\n{run.stderr}"
        produced = json_documents(run.stdout)
        assert produced, f"no JSON from:\n{block}"
        docs.extend(produced)
    chats = [d for d in docs if "choices" in d]
    lists = [d for d in docs if d.get("object") == "list"]
    assert len(chats) == 2 and len(lists) == 1 and len(docs) == 3
    for doc in chats:
        assert_recorded_chat(gateway, doc)
    assert "gpt-4.1-mini" in [m["id"] for m in lists[0]["data"]]
    assert len(fake_openai.received) == 2


def test_readme_python_sdk_example_works_as_written(readme_env: dict[str, str], fake_openai: FakeOpenAI):
    (block,) = examples("python", "KillTokenClient")
    run = subprocess.run([sys.executable, "-c", block], env=readme_env, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    answer, cost = run.stdout.split()
    assert answer == "Paris" and float(cost) > 0
    assert fake_openai.received[-1].body["model"] == "gpt-4.1-mini"
