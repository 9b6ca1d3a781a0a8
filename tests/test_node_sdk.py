"""The official `openai` Node SDK (pinned in tests/node/package-lock.json) runs the contract's Path 1 example.

The SDK is installed once with `npm ci` into tests/node/node_modules (gitignored) and reused. Without
node/npm on the machine the test is skipped, unless KILLTOKEN_REQUIRE_NODE=1 (CI sets it) makes that a failure.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import PROVIDER_SECRET, LiveGateway
from tests.fakes.openai_server import FakeOpenAI, Reply, completion

NODE_DIR = Path(__file__).parent / "node"


def _pinned_version() -> str:
    lock = json.loads((NODE_DIR / "package-lock.json").read_text())
    return str(lock["packages"]["node_modules/openai"]["version"])


def _installed_version() -> str | None:
    manifest = NODE_DIR / "node_modules" / "openai" / "package.json"
    return json.loads(manifest.read_text())["version"] if manifest.exists() else None


@pytest.fixture(scope="session")
def node_sdk() -> str:
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        message = "node and npm are needed for the Node SDK test (Node 20+)."
        if os.environ.get("KILLTOKEN_REQUIRE_NODE") == "1":
            pytest.fail(message)
        pytest.skip(message)
    if _installed_version() != _pinned_version():
        subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=NODE_DIR, check=True, timeout=600
        )
    assert _installed_version() == _pinned_version()
    return node


def test_path1_example_with_the_node_sdk(node_sdk: str, gateway: LiveGateway, fake_openai: FakeOpenAI):
    gateway.add_credential("openai", baseUrl=fake_openai.base_url)
    too_many = {"error": {"message": "Rate limit reached", "type": "requests", "code": "rate_limit_exceeded"}}
    # The first call is answered; the next one, and the SDK's two retries of it, are rate limited.
    fake_openai.replies.append(Reply(200, completion(model="gpt-4.1-mini-2025-04-14")))
    fake_openai.replies.extend(Reply(429, too_many, {"retry-after-ms": "10"}) for _ in range(3))
    run = subprocess.run(
        [node_sdk, str(NODE_DIR / "path1.mjs")],
        env={**os.environ, "KILLTOKEN_BASE_URL": gateway.url, "KILLTOKEN_API_KEY": gateway.key},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)
    assert out["answer"] == "Paris"
    metrics = out["metrics"]
    assert metrics["feature"] == "my-feature-name" and metrics["provider"] == "openai"
    assert (metrics["promptTokens"], metrics["completionTokens"]) == (21, 2) and metrics["costUsd"]
    assert out["requestId"] == metrics["requestId"]
    with gateway.client() as http:
        record = http.get(f"/v1/requests/{out['requestId']}").json()
    assert record["status"] == 200 and record["feature"] == "my-feature-name"

    # A provider 429 is the SDK's RateLimitError with the code, after its own retries; never a 5xx.
    limited = out["rateLimit"]
    assert limited["isRateLimitError"] and limited["status"] == 429
    assert limited["code"] == "upstream_rate_limited" and limited["requestId"].startswith("req_")
    assert len(fake_openai.received) == 4

    first = fake_openai.received[0]
    assert first.body == {"model": "gpt-4.1-mini", "messages": [{"role": "user", "content": "Hello"}]}
    assert first.headers["authorization"] == f"Bearer {PROVIDER_SECRET}"
    assert not [h for h in first.headers if h.startswith(("x-stainless", "x-killtoken"))]
