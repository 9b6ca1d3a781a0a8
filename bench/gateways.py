"""The processes under test: the fake upstream, the bare pass-through, a real `kt serve`, LiteLLM's proxy."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import urllib.request
from pathlib import Path

from bench.procs import Child, free_port, start

LITELLM_VERSION = "1.108.7"
LITELLM_SPEC = f"litellm[proxy]=={LITELLM_VERSION}"
MODEL = "gpt-4.1-mini"  # priced, so kt computes a cost on every call
PROVIDER_KEY = "sk-bench-not-a-real-key"
# Variables that would point a child at real services or the developer's own store.
SCRUBBED = ("KILLTOKEN_API_KEY", "OPENAI_API_KEY", "OPENAI_BASE_URL", "DATABASE_URL", "LITELLM_MASTER_KEY")


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in SCRUBBED}
    env.update(extra)
    return env


def python_of(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")


def start_upstream(work: Path, latency_ms: float, usage_variants: int) -> Child:
    port = free_port()
    argv = [sys.executable, "-m", "bench.upstream", "--port", str(port), "--latency-ms", str(latency_ms)]
    argv += ["--usage-variants", str(usage_variants)]
    child = start(f"upstream-{latency_ms:g}ms", argv, port, work / f"upstream-{latency_ms:g}ms.log", env=_env())
    child.extra["base_url"] = f"http://127.0.0.1:{port}/v1"
    return child


def start_passthrough(work: Path, upstream_base: str, tag: str) -> Child:
    port = free_port()
    argv = [sys.executable, "-m", "bench.passthrough", "--port", str(port), "--upstream", upstream_base]
    return start("passthrough", argv, port, work / f"passthrough-{tag}.log", env=_env())


def _post_json(url: str, body: dict[str, object], key: str) -> dict[str, object]:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={"authorization": f"Bearer {key}", "content-type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        result: dict[str, object] = json.loads(answer.read())
        return result


def kt_command() -> list[str]:
    script = Path(sys.executable).with_name("kt.exe" if sys.platform == "win32" else "kt")
    return [str(script)] if script.exists() else [sys.executable, "-m", "killtoken_cli.main"]


def start_kt(work: Path, upstream_base: str, tag: str) -> Child:
    """A real `kt serve` with its own KILLTOKEN_HOME and vault, the default tenant and one openai credential."""
    home = work / f"kt-home-{tag}"
    env = _env(
        KILLTOKEN_HOME=str(home),
        KILLTOKEN_MASTER_KEY=secrets.token_urlsafe(32),
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",  # never the developer's keyring
    )
    port = free_port()
    log = work / f"kt-serve-{tag}.log"
    child = start("kt serve", [*kt_command(), "serve", "--port", str(port)], port, log, env=env)
    try:
        key = next(line.strip() for line in log.read_text().splitlines() if line.strip().startswith("kt_"))
        base = f"http://127.0.0.1:{port}"
        _post_json(
            f"{base}/v1/provider-credentials",
            {"provider": "openai", "apiKey": PROVIDER_KEY, "config": {"baseUrl": upstream_base}},
            key,
        )
        _lift_rate_limit(env)
    except BaseException:
        child.stop()
        raise
    child.extra.update(key=key, base_url=base, home=str(home))
    return child


def _lift_rate_limit(env: dict[str, str]) -> None:
    """A per-tenant rate limit (120/min by default where tenants have one) would answer the benchmark 429;
    the limiter still runs on every request, with a limit the benchmark cannot reach."""
    done = subprocess.run(
        [*kt_command(), "tenants", "update", "default", "--rate-limit", "100000"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    if done.returncode != 0 and "No such command" not in done.stderr:  # a kt without tenants has no limit
        raise RuntimeError(f"could not lift the default tenant's rate limit: {done.stderr.strip()}")


def ensure_litellm(venv: Path, log: Path) -> Path:
    """LiteLLM's proxy in its own venv (created on first use, reused after); returns its `litellm` script."""
    script = venv / ("Scripts/litellm.exe" if sys.platform == "win32" else "bin/litellm")
    if script.exists():
        return script
    print(f"Installing {LITELLM_SPEC} into {venv} (first run only; a few minutes)...", file=sys.stderr, flush=True)
    with open(log, "wb") as out:
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, stdout=out, stderr=out)
        subprocess.run(
            [str(python_of(venv)), "-m", "pip", "install", "-q", LITELLM_SPEC],
            check=True,
            stdout=out,
            stderr=out,
        )
    return script


def litellm_model(latency_ms: float) -> str:
    return f"{MODEL}-{latency_ms:g}ms"


def start_litellm(work: Path, script: Path, upstreams: dict[float, str]) -> Child:
    """One worker, loopback, no database, the bundled cost map, a master key; one model alias per latency."""
    lines = ["model_list:"]
    for latency, base in upstreams.items():
        lines += [
            f"  - model_name: {litellm_model(latency)}",
            "    litellm_params:",
            f"      model: openai/{MODEL}",
            f"      api_base: {base}",
            f"      api_key: {PROVIDER_KEY}",
        ]
    # LiteLLM refuses to start without a master key; with one it authenticates each call, as kt does.
    master_key = "sk-" + secrets.token_hex(16)
    lines += ["litellm_settings:", "  telemetry: false", "  drop_params: true"]
    lines += ["general_settings:", f"  master_key: {master_key}"]
    config = work / "litellm.yaml"
    config.write_text("\n".join(lines) + "\n")
    port = free_port()
    argv = [str(script), "--config", str(config), "--host", "127.0.0.1", "--port", str(port), "--num_workers", "1"]
    env = _env(LITELLM_LOCAL_MODEL_COST_MAP="True", LITELLM_LOG="ERROR", DISABLE_ADMIN_UI="True")
    child = start("litellm", argv, port, work / "litellm.log", env=env, timeout=180)
    child.extra.update(base_url=f"http://127.0.0.1:{port}", key=master_key)
    return child
