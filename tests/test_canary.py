"""Canary: a planted provider secret appears in no response, error, log, ledger record, file or CLI output,
also when the provider echoes it back in an error body (as OpenAI does with rejected keys)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from typer.testing import CliRunner

from killtoken_cli.main import app
from tests.admin_helpers import chat_body
from tests.conftest import PROVIDER_SECRET, LiveGateway
from tests.fakes.openai_server import FakeOpenAI, Reply
from tests.tenant_endpoints import ENDPOINTS, Owned

ROTATED_CANARY = "sk-canary-rotated-5e1d7c9a3b"
ECHOES = [
    Reply(400, {"error": {"message": f"Invalid request made with key {PROVIDER_SECRET}", "type": "invalid"}}),
    Reply(404, {"error": {"message": f"model not found for Bearer {PROVIDER_SECRET}"}}),
    Reply(429, {"error": {"message": f"rate limit for {PROVIDER_SECRET}"}}, {"retry-after": "3"}),
    Reply(500, {"error": {"message": f"upstream crashed: {PROVIDER_SECRET}"}}),
    Reply(503, f"<html>{PROVIDER_SECRET}</html>".encode(), {"content-type": "text/html"}),
]


def _fragments(secret: str) -> tuple[str, ...]:
    return (secret, secret[-12:], secret[4:16])


def assert_clean(text: str, where: str) -> None:
    for secret in (PROVIDER_SECRET, ROTATED_CANARY):
        for fragment in _fragments(secret):
            assert fragment not in text, f"a piece of a provider secret leaked into {where}"


def test_the_canary_never_leaves_the_gateway(
    openai_gateway: LiveGateway, fake_openai: FakeOpenAI, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.DEBUG)
    seen: list[tuple[str, str]] = []
    with openai_gateway.client() as http:
        credential = http.get("/v1/provider-credentials").json()["data"][0]["id"]
        for reply in ECHOES:
            for path, body in (("/v1/chat", chat_body()), ("/v1/openai/chat/completions", chat_body())):
                fake_openai.replies.append(Reply(reply.status, reply.body, dict(reply.headers)))
                response = http.post(path, json=body)
                assert response.status_code >= 400
                seen.append((f"{path} answer to an upstream {reply.status}", response.text + str(response.headers)))
        fake_openai.expected_key = "sk-another-key-entirely"  # 401 echoing the key we sent
        rejected = http.post("/v1/chat", json=chat_body())
        assert rejected.status_code == 401 and "[redacted]" in rejected.text
        seen.append(("a 401 answer", rejected.text))
        probe = http.post(f"/v1/provider-credentials/{credential}/test", json={"model": "m"})
        seen.append(("the credential test", probe.text))
        rotated = http.patch(f"/v1/provider-credentials/{credential}", json={"apiKey": ROTATED_CANARY})
        seen.append(("the rotation answer", rotated.text))
        fake_openai.expected_key = ROTATED_CANARY
        ok = http.post("/v1/chat", json=chat_body())
        request_id = ok.headers["x-killtoken-request-id"]
        owned = Owned(credential=credential, request=request_id, marker="")
        for endpoint in ENDPOINTS:  # every readable tenant endpoint, as the tenant itself sees it
            if endpoint.method == "GET":
                seen.append((str(endpoint), http.get(endpoint.url(owned)).text))
    assert fake_openai.received[-1].headers["authorization"] == f"Bearer {ROTATED_CANARY}"  # it was really used

    home = Path(openai_gateway.settings.paths.data).parent
    seen += [(str(p), p.read_bytes().decode("utf-8", "replace")) for p in home.rglob("*") if p.is_file()]
    seen.append(("the log", "\n".join(r.getMessage() + str(r.exc_info or "") for r in caplog.records)))
    for where, text in seen:
        assert_clean(text, where)


def test_the_canary_never_reaches_cli_output(fake_openai: FakeOpenAI):
    runner = CliRunner()
    assert runner.invoke(app, ["init"]).exit_code == 0
    added = runner.invoke(
        app,
        ["credentials", "add", "openai_compatible", "--base-url", fake_openai.base_url, "--json"],
        input=PROVIDER_SECRET,
    )
    credential = json.loads(added.stdout)["id"]
    fake_openai.replies += [ECHOES[0], ECHOES[0]]
    fake_openai.expected_key = PROVIDER_SECRET
    outputs = [added.output]
    for args in (
        ["credentials", "test", credential, "--model", "m"],
        ["credentials", "test", credential, "--model", "m", "--json"],
        ["credentials", "list"],
        ["credentials", "show", credential, "--json"],
        ["credentials", "update", credential, "--rotate", "--json"],
        ["requests", "list"],
    ):
        result = runner.invoke(app, args, input=ROTATED_CANARY + "\n")
        outputs.append(result.output)
    assert "Invalid request made with key [redacted]" in outputs[2]  # the --json run
    for text in outputs:
        assert_clean(text, "CLI output")
