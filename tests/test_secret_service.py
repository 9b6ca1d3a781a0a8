"""A real Secret Service: a private D-Bus session with an unlocked gnome-keyring, `kt serve` storing a
credential there through the API, found by `secret-tool` and `keyring`, and in no file under KILLTOKEN_HOME.

Needs the system binaries below. Without them the test is skipped with the packages to install,
except under KILLTOKEN_REQUIRE_SECRET_SERVICE=1 (set by `.ci/run`), where that is a failure.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import PROVIDER_SECRET
from tests.fakes.kt_daemon import kt, start_kt_serve, stop_kt_serve
from tests.fakes.openai_server import FakeOpenAI

BINARIES = ("dbus-run-session", "gnome-keyring-daemon", "secret-tool")
DEBIAN_PACKAGES = "dbus gnome-keyring libsecret-tools"
ROTATED = "sk-secret-service-rotated-93c1d7"
# The daemon prints nothing and stays up; the shell then holds the session open until stdin closes.
SESSION_SCRIPT = (
    'printf %s "$KEYRING_PASSWORD" | gnome-keyring-daemon --unlock --components=secrets >/dev/null '
    '&& echo "$DBUS_SESSION_BUS_ADDRESS" && exec cat >/dev/null'
)


def require_binaries() -> None:
    missing = [name for name in BINARIES if shutil.which(name) is None]
    if not missing:
        return
    reason = f"needs {', '.join(missing)} (Debian/Ubuntu: apt-get install {DEBIAN_PACKAGES})"
    if os.environ.get("KILLTOKEN_REQUIRE_SECRET_SERVICE") == "1":
        pytest.fail(f"KILLTOKEN_REQUIRE_SECRET_SERVICE=1 but this test {reason}")
    pytest.skip(reason)


@pytest.fixture
def desktop_env(tmp_path: Path, isolated_env: Path) -> Iterator[dict[str, str]]:
    """The environment of a desktop session whose only secret store is a fresh, unlocked gnome-keyring."""
    require_binaries()
    home, runtime_dir = tmp_path / "desktop-home", tmp_path / "xdg-runtime"
    home.mkdir()
    runtime_dir.mkdir(mode=0o700)
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(home),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_RUNTIME_DIR": str(runtime_dir),
        "LANG": "C.UTF-8",
        "KILLTOKEN_HOME": str(isolated_env),  # and no KILLTOKEN_MASTER_KEY: secrets go to the OS keyring
        "KEYRING_PASSWORD": "login-password-for-this-test",
    }
    session = subprocess.Popen(
        ["dbus-run-session", "--", "sh", "-c", SESSION_SCRIPT],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    assert session.stdout is not None and session.stdin is not None
    try:
        ready, _, _ = select.select([session.stdout], [], [], 30)
        address = session.stdout.readline().strip() if ready else ""
        assert address.startswith("unix:"), f"no D-Bus session came up: {session.stderr.read() if not ready else ''}"
        yield {**env, "DBUS_SESSION_BUS_ADDRESS": address}
    finally:
        session.stdin.close()  # ends `cat`, hence the session, its bus and the keyring daemon
        try:
            session.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(session.pid, signal.SIGTERM)
            session.wait(timeout=15)


def secret_tool(env: dict[str, str], name: str) -> str | None:
    found = subprocess.run(
        ["secret-tool", "lookup", "service", "killtoken", "username", name],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    return found.stdout if found.returncode == 0 else None


def python_keyring(env: dict[str, str], name: str) -> str | None:
    code = f"import json, keyring; print(json.dumps(keyring.get_password('killtoken', {name!r})))"
    found = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=30)
    assert found.returncode == 0, found.stderr
    value: str | None = json.loads(found.stdout)
    return value


def start_daemon(env: dict[str, str], home: Path, log: Path) -> tuple[subprocess.Popen[str], str]:
    proc, info = start_kt_serve(home, log, env=env)
    return proc, str(info["url"])


def stop_daemon(proc: subprocess.Popen[str]) -> None:
    assert stop_kt_serve(proc) == 0


def test_credentials_live_in_the_secret_service(
    desktop_env: dict[str, str], isolated_env: Path, fake_openai: FakeOpenAI, tmp_path: Path
):
    init = kt("init", env=desktop_env)
    assert init.returncode == 0, init.stderr
    key = init.stdout.strip()
    assert "kept in your OS keyring" in init.stderr and not (isolated_env / "config" / "cli-key").exists()
    assert python_keyring(desktop_env, "tenant-key:default") == key

    log = tmp_path / "serve.log"
    proc, url = start_daemon(desktop_env, isolated_env, log)
    try:
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"}, timeout=30) as http:
            assert "SecretService" in http.get("/ready").json()["checks"]["secrets"]["detail"]
            stored = http.post(
                "/v1/provider-credentials",
                json={
                    "provider": "openai_compatible",
                    "apiKey": PROVIDER_SECRET,
                    "config": {"baseUrl": fake_openai.base_url},
                },
            )
            assert stored.status_code == 201, stored.text
            credential = stored.json()["id"]
    finally:
        stop_daemon(proc)

    entry = f"credential:{credential}"
    assert json.loads(secret_tool(desktop_env, entry) or "{}") == {"apiKey": PROVIDER_SECRET}
    assert python_keyring(desktop_env, entry) == json.dumps({"apiKey": PROVIDER_SECRET}, separators=(",", ":"))

    proc, url = start_daemon(desktop_env, isolated_env, log)  # a new daemon reads the secret back once
    try:
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"}, timeout=30) as http:
            body = {"provider": "openai_compatible", "model": "m", "messages": [{"role": "user", "content": "hi"}]}
            assert http.post("/v1/chat", json=body).status_code == 200
            assert fake_openai.received[-1].headers["authorization"] == f"Bearer {PROVIDER_SECRET}"
            assert http.patch(f"/v1/provider-credentials/{credential}", json={"apiKey": ROTATED}).status_code == 200
            assert json.loads(secret_tool(desktop_env, entry) or "{}") == {"apiKey": ROTATED}
            assert http.delete(f"/v1/provider-credentials/{credential}").status_code == 204
    finally:
        stop_daemon(proc)
    assert secret_tool(desktop_env, entry) is None

    assert not (isolated_env / "data" / "vault.json").exists()
    files = [p for p in isolated_env.rglob("*") if p.is_file()]
    assert files, "the daemon wrote its store under KILLTOKEN_HOME"
    for path in [*files, log]:
        text = path.read_bytes().decode("utf-8", "replace")
        for secret in (PROVIDER_SECRET, ROTATED, key):
            assert secret not in text, f"{path} holds a secret"
