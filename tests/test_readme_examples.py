"""The README's `curl` and Python SDK examples, run as written (real curl, a fresh interpreter) against a
live gateway and fake OpenAI and Anthropic upstreams; only KILLTOKEN_BASE_URL / KILLTOKEN_API_KEY, which the
README uses, are set (the Anthropic SDK example has only its placeholder address and key filled in)."""

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
from tests.fakes.anthropic_server import FakeAnthropic
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
def readme_env(gateway: LiveGateway, fake_openai: FakeOpenAI, fake_anthropic: FakeAnthropic) -> dict[str, str]:
    gateway.add_credential("openai", baseUrl=fake_openai.base_url)
    gateway.add_credential("anthropic", baseUrl=fake_anthropic.base_url)
    return {**os.environ, "KILLTOKEN_BASE_URL": gateway.url, "KILLTOKEN_API_KEY": gateway.key}


def assert_recorded_chat(gateway: LiveGateway, doc: dict[str, Any], provider: str = "openai") -> None:
    answer = doc["content"][0]["text"] if provider == "anthropic" else doc["choices"][0]["message"]["content"]
    assert answer == {"openai": "Paris", "anthropic": "Paris."}[provider]
    metrics = doc["killtoken"]["metrics"]
    assert metrics["provider"] == provider and metrics["feature"] == "my-feature-name" and metrics["costUsd"]
    with gateway.client() as http:
        record = http.get(f"/v1/requests/{metrics['requestId']}").json()
    assert record["status"] == 200


def test_readme_curl_examples_work_as_written(
    readme_env: dict[str, str], gateway: LiveGateway, fake_openai: FakeOpenAI, fake_anthropic: FakeAnthropic
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
    messages = [d for d in docs if d.get("type") == "message"]
    assert len(chats) == 2 and len(lists) == 1 and len(messages) == 1 and len(docs) == 4
    for doc in chats:
        assert_recorded_chat(gateway, doc)
    assert_recorded_chat(gateway, messages[0], "anthropic")
    assert "gpt-4.1-mini" in [m["id"] for m in lists[0]["data"]]
    assert len(fake_openai.received) == 2
    assert fake_anthropic.received[-1].body["system"] == "Answer in one word."


def test_readme_python_sdk_example_works_as_written(readme_env: dict[str, str], fake_openai: FakeOpenAI):
    (block,) = examples("python", "KillTokenClient")
    run = subprocess.run([sys.executable, "-c", block], env=readme_env, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    answer, cost, cache = run.stdout.split()
    assert answer == "Paris" and float(cost) > 0 and cache == "miss"
    assert fake_openai.received[-1].body["model"] == "gpt-4.1-mini"


def test_readme_python_sdk_example_after_the_curl_one_is_a_cache_hit_as_the_readme_says(
    readme_env: dict[str, str], gateway: LiveGateway, fake_openai: FakeOpenAI
):
    """Both once sent `idempotencyKey` "req-123": the SDK call replayed the curl call and looked like no call."""
    native = next(block for block in examples("sh", "curl ") if '/v1/chat"' in block)
    curl = subprocess.run(["bash", "-c", native], env=readme_env, capture_output=True, text=True, timeout=60)
    assert curl.returncode == 0, curl.stderr
    (block,) = examples("python", "KillTokenClient")
    run = subprocess.run([sys.executable, "-c", block], env=readme_env, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split()[1:] == ["0", "hit"] and len(fake_openai.received) == 1
    with gateway.client() as http:
        (latest, _) = http.get("/v1/requests", params={"limit": 2}).json()["data"]
    assert latest["cache_status"] == "hit" and not latest["replay"]
    keys = re.findall(r'(?:idempotencyKey"?|idempotency_key)\s*[:=]\s*"([^"]+)"', README.read_text())
    assert len(keys) == len(set(keys)) >= 3, keys


def test_readme_anthropic_sdk_example_works_with_its_placeholders_filled_in(
    gateway: LiveGateway, readme_env: dict[str, str], fake_anthropic: FakeAnthropic
):
    (block,) = examples("python", "anthropic.Anthropic(")
    assert 'base_url="http://127.0.0.1:8787/v1/anthropic"' in block and 'api_key="kt_...",' in block
    code = block.replace("http://127.0.0.1:8787", gateway.url).replace('"kt_..."', repr(gateway.key))
    run = subprocess.run([sys.executable, "-c", code], env=readme_env, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    answer, metrics = run.stdout.splitlines()
    assert answer == "Paris." and "'provider': 'anthropic'" in metrics and "'feature': 'support-bot'" in metrics
    assert fake_anthropic.received[-1].body["system"] == "Answer in one word."


def test_readme_openai_sdk_template_recipe_works_as_written(
    readme_env: dict[str, str], gateway: LiveGateway, fake_openai: FakeOpenAI
):
    (block,) = examples("python", 'extra_body={"template"')
    with gateway.client() as http:
        created = http.post(
            "/v1/templates",
            json={
                "name": "support-reply",
                "messages": [
                    {"role": "system", "content": "You answer for {{company}}."},
                    {"role": "user", "content": "Customer asks: {{question}}"},
                ],
            },
        )
    assert created.status_code == 201, created.text
    run = subprocess.run([sys.executable, "-c", block], env=readme_env, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("Paris ") and "'name': 'support-reply'" in run.stdout
    assert fake_openai.received[-1].body["messages"] == [
        {"role": "system", "content": "You answer for Acme."},
        {"role": "user", "content": "Customer asks: Where is my order?"},
    ]
