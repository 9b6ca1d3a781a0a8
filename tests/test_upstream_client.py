"""The daemon's upstream client (aiohttp fast path): timeouts, dropped connections, unknown hosts, no cookies."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import httpx
import pytest

from killtoken_proxy.settings import Settings
from tests.conftest import LiveGateway
from tests.fakes.openai_server import FakeOpenAI, Reply, completion

HELLO = [{"role": "user", "content": "Capital of France?"}]


@pytest.fixture
def settings() -> Settings:
    return Settings.from_env(upstream_read_timeout=0.5)


class SilentUpstream:
    """Accepts connections and reads the request; then stays silent (`hang`) or hangs up (`drop`)."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.accepted = 0
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._stop = threading.Event()
        self._held: list[socket.socket] = []
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._listener.getsockname()[1]}/v1"

    def _serve(self) -> None:
        self._listener.settimeout(0.05)
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            self.accepted += 1
            conn.recv(65536)
            if self.mode == "drop":
                conn.close()
            else:
                self._held.append(conn)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        for conn in self._held:
            conn.close()
        self._listener.close()


@pytest.fixture
def silent() -> Iterator[Any]:
    made: list[SilentUpstream] = []

    def make(mode: str) -> SilentUpstream:
        made.append(SilentUpstream(mode))
        return made[-1]

    yield make
    for upstream in made:
        upstream.close()


def call(gw: LiveGateway) -> Any:
    with gw.client() as http:
        return http.post("/v1/chat", json={"provider": "openai_compatible", "model": "m", "messages": HELLO})


def test_an_upstream_that_never_answers_is_a_504_after_the_read_timeout(gateway: LiveGateway, silent: Any):
    gateway.add_credential(baseUrl=silent("hang").base_url)
    response = call(gateway)
    assert response.status_code == 504
    assert response.json()["error"] == "upstream_timeout"


def test_an_upstream_that_hangs_up_is_a_502_not_a_timeout(gateway: LiveGateway, silent: Any):
    gateway.add_credential(baseUrl=silent("drop").base_url)
    response = call(gateway)
    assert response.status_code == 502
    body = response.json()
    assert body["error"] == "upstream_error" and "openai_compatible" in body["message"]


def test_a_host_name_that_does_not_resolve_is_a_502_naming_the_host(
    gateway: LiveGateway, monkeypatch: pytest.MonkeyPatch
):
    # Name resolution fails here, at the system call the resolver makes, so no DNS query ever leaves.
    looked_up: list[str] = []
    resolve = socket.getaddrinfo

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(host, str) and host.endswith(".invalid"):
            looked_up.append(host)
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return resolve(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    for name in ("https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)  # a proxy would resolve the name instead of us
    gateway.add_credential(baseUrl="https://llm.no-such-host.invalid/v1")
    response = call(gateway)
    assert response.status_code == 502, response.text
    body = response.json()
    assert body["error"] == "upstream_unreachable"
    assert "openai_compatible" in body["message"] and "llm.no-such-host.invalid" in body["message"]
    assert looked_up == ["llm.no-such-host.invalid"]


def test_upstream_cookies_are_never_sent_back(gateway: LiveGateway, fake_openai: FakeOpenAI):
    # A shared client with a cookie jar would replay one tenant's upstream cookies on everyone's calls.
    # (A host name, not an IP: cookie jars ignore cookies from IP addresses.)
    gateway.add_credential(baseUrl=fake_openai.base_url.replace("127.0.0.1", "localhost"))
    fake_openai.replies.append(Reply(body=completion(), headers={"set-cookie": "__cf_bm=tenant-a; Path=/"}))
    assert call(gateway).status_code == 200
    assert call(gateway).status_code == 200
    assert len(fake_openai.received) == 2 and "cookie" not in fake_openai.received[-1].headers


def test_the_upstream_sees_our_request_as_sent(openai_gateway: LiveGateway, fake_openai: FakeOpenAI):
    assert call(openai_gateway).status_code == 200
    sent = fake_openai.received[-1]
    assert sent.path == "/v1/chat/completions"
    assert sent.headers["content-type"] == "application/json"
    assert sent.body == {"model": "m", "messages": HELLO}


class RecordingProxy(BaseHTTPRequestHandler):
    """A forward proxy stand-in: records the absolute-URI request line and answers a completion itself."""

    seen: ClassVar[list[str]] = []

    def log_message(self, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length", "0")))
        RecordingProxy.seen.append(f"{self.command} {self.path}")
        payload = json.dumps(completion()).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


def test_the_environment_proxy_is_used_for_provider_calls(
    gateway: LiveGateway, fake_openai: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
):
    proxy = ThreadingHTTPServer(("127.0.0.1", 0), RecordingProxy)
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    try:
        gateway.add_credential(baseUrl=fake_openai.base_url)
        for name in ("http_proxy", "HTTP_PROXY"):
            monkeypatch.setenv(name, f"http://127.0.0.1:{proxy.server_address[1]}")
        for name in ("no_proxy", "NO_PROXY", "all_proxy", "ALL_PROXY"):
            monkeypatch.delenv(name, raising=False)
        with httpx.Client(base_url=gateway.url, trust_env=False, timeout=30) as http:
            response = http.post(
                "/v1/chat",
                json={"provider": "openai_compatible", "model": "m", "messages": HELLO},
                headers={"Authorization": f"Bearer {gateway.key}"},
            )
    finally:
        proxy.shutdown()
        proxy.server_close()
    assert response.status_code == 200, response.text
    assert RecordingProxy.seen == [f"POST {fake_openai.base_url}/chat/completions"]
    assert fake_openai.received == []  # it went through the proxy, not around it


def test_a_per_call_timeout_replaces_the_clients(silent: Any):
    from killtoken_proxy.upstream_client import UpstreamClient

    async def scenario() -> None:
        client = UpstreamClient(connect_timeout=30, read_timeout=300)
        try:
            call = client.exchange(silent("hang").base_url + "/chat/completions", b"{}", {}, timeout=0.2)
            with pytest.raises(httpx.TimeoutException):
                await asyncio.wait_for(call, 20)  # the client's own 300 s would end here as asyncio's TimeoutError
        finally:
            await client.aclose()

    asyncio.run(scenario())


def test_the_url_reaches_the_upstream_byte_for_byte(fake_openai: FakeOpenAI):
    # Signed URLs (AWS SigV4 on Bedrock model ids like `...-v1%3A0`) break if escapes are decoded on the way.
    from killtoken_proxy.upstream_client import UpstreamClient

    async def scenario() -> None:
        client = UpstreamClient(connect_timeout=5, read_timeout=5)
        try:
            for path in ("/model/claude-v1%3A0/converse?a=b%2Fc", "/model/two words/converse"):
                await client.exchange(fake_openai.base_url + path, b"{}", {"content-type": "application/json"})
        finally:
            await client.aclose()

    asyncio.run(scenario())
    sent = [r.path for r in fake_openai.received]
    assert sent == ["/v1/model/claude-v1%3A0/converse?a=b%2Fc", "/v1/model/two%20words/converse"]


def test_upstream_timeouts_come_from_the_environment_and_idempotency_waits_longer():
    default = Settings.from_env({"KILLTOKEN_HOME": "/tmp/kt-unused"})
    assert (default.upstream_connect_timeout, default.upstream_read_timeout) == (10.0, 300.0)
    tuned = Settings.from_env(
        {
            "KILLTOKEN_HOME": "/tmp/kt-unused",
            "KILLTOKEN_UPSTREAM_TIMEOUT_SECONDS": "900",
            "KILLTOKEN_UPSTREAM_CONNECT_TIMEOUT_SECONDS": "2.5",
        }
    )
    assert (tuned.upstream_connect_timeout, tuned.upstream_read_timeout) == (2.5, 900.0)
    assert tuned.idempotency_wait > 902.5  # a coalesced retry never gives up before the first call can
    with pytest.raises(ValueError, match="KILLTOKEN_UPSTREAM_TIMEOUT_SECONDS must be a positive number"):
        Settings.from_env({"KILLTOKEN_HOME": "/tmp/kt-unused", "KILLTOKEN_UPSTREAM_TIMEOUT_SECONDS": "0"})
