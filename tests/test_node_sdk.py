"""Node clients: the official `openai` SDK runs the contract's Path 1 example, our own `@killtoken/sdk`
(sdk/node) runs Path 4.

The openai SDK is pinned in tests/node/package-lock.json and installed once with `npm ci` into
tests/node/node_modules (gitignored). Without node/npm on the machine these tests are skipped, unless
KILLTOKEN_REQUIRE_NODE=1 (CI sets it) makes that a failure.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import PROVIDER_SECRET, LiveGateway, free_port
from tests.fakes.openai_server import FakeOpenAI, Reply, completion

NODE_DIR = Path(__file__).parent / "node"
FIRST_PARTY_SDK = Path(__file__).parent.parent / "sdk" / "node"


def _pinned_version() -> str:
    lock = json.loads((NODE_DIR / "package-lock.json").read_text())
    return str(lock["packages"]["node_modules/openai"]["version"])


def _installed_version() -> str | None:
    manifest = NODE_DIR / "node_modules" / "openai" / "package.json"
    return json.loads(manifest.read_text())["version"] if manifest.exists() else None


def _required(tool: str) -> str:
    found = shutil.which(tool)
    if found is None:
        message = f"{tool} is needed for the Node SDK tests (Node 20+)."
        if os.environ.get("KILLTOKEN_REQUIRE_NODE") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return found


@pytest.fixture(scope="session")
def node_sdk() -> str:
    node, npm = _required("node"), _required("npm")
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


def test_path4_example_with_the_first_party_node_sdk(gateway: LiveGateway, fake_openai: FakeOpenAI, tmp_path: Path):
    node = _required("node")
    gateway.add_credential("openai", baseUrl=fake_openai.base_url)
    # Installed the way an app would have it: `@killtoken/sdk` resolved from the app's node_modules.
    (tmp_path / "node_modules" / "@killtoken").mkdir(parents=True)
    (tmp_path / "node_modules" / "@killtoken" / "sdk").symlink_to(FIRST_PARTY_SDK, target_is_directory=True)
    script = tmp_path / "app.mjs"
    script.write_text((NODE_DIR / "path4.mjs").read_text())
    dead = f"http://127.0.0.1:{free_port()}"
    run = subprocess.run(
        [node, str(script)],
        env={
            **os.environ,
            "KILLTOKEN_BASE_URL": gateway.url,
            "KILLTOKEN_API_KEY": gateway.key,
            "KILLTOKEN_DEAD_URL": dead,
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)

    response, metrics = out["response"], out["metrics"]
    assert response["choices"][0]["message"]["content"] == "Paris" and "killtoken" not in response
    assert metrics["feature"] == "my-feature-name" and metrics["cacheStatus"] == "miss"
    assert metrics["requestId"].startswith("req_") and metrics["costUsd"]
    # One upstream call for three chats: the keyed retry replays, the unkeyed repeat hits the cache.
    assert len(fake_openai.received) == 2  # ... and one more for the call routed by model name
    assert out["routed"]["metrics"]["provider"] == "openai" and out["routed"]["response"]["choices"]
    assert fake_openai.received[0].body == {"model": "gpt-4.1-mini", "messages": [{"role": "user", "content": "Hello"}]}
    replay = out["replay"]
    assert replay["response"] == response and replay["metrics"]["replay"] is True
    assert replay["metrics"]["originalRequestId"] == metrics["requestId"]
    hit = out["hit"]
    assert hit["metrics"]["cacheStatus"] == "hit" and hit["metrics"]["costUsd"] == "0"
    assert hit["requestId"] == hit["metrics"]["requestId"] != metrics["requestId"]

    errors = out["errors"]
    assert (errors["badPolicy"]["status"], errors["badPolicy"]["code"]) == (400, "invalid_cache_policy")
    assert errors["badPolicy"]["isApiError"] and errors["badPolicy"]["requestId"].startswith("req_")
    assert errors["badPolicy"]["metricsRequestId"] == errors["badPolicy"]["requestId"]
    assert (errors["noCredential"]["status"], errors["noCredential"]["code"]) == (400, "provider_credential_required")
    assert (errors["wrongKey"]["status"], errors["wrongKey"]["code"]) == (401, "tenant_not_resolved")
    assert errors["unreachableIsConnectionError"] and dead in errors["unreachable"]["message"]
    assert "kt_x" not in errors["unreachable"]["message"]

    assert metrics["requestId"] in out["history"]
    assert out["summaryRequests"] >= 3 and out["csvLines"] >= 4
