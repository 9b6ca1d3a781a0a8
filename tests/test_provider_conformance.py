"""Every provider through the same cases, against fakes that speak its wire format and check what arrived.

Cases: plain chat (exact URL, method, auth and body), system prompts, multi-part content, a tools round
trip, usage with cached and reasoning tokens (and the raw usage in the ledger), and each error class.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import replace
from typing import Any

import httpx
import pytest

from killtoken_proxy.credential_probe import PROBE_MODELS
from killtoken_proxy.plans import MAX_RATE_LIMIT_PER_MINUTE
from killtoken_proxy.settings import Settings
from killtoken_proxy.upstream_client import UpstreamClient
from tests.conftest import MASTER_KEY, LiveGateway, free_port, running_gateway
from tests.fakes.http_fake import FakeServer, Received, Reply
from tests.provider_cases import AWS_SECRET, CASES, PNG, SA_PRIVATE_PEM, SECRET, WEATHER_TOOL, Case, ToolUse

READ_TIMEOUT = 0.5  # the timeout case's fake waits longer than this


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveGateway]:
    """One gateway for the module (each test stores its own credential; the newest one is used)."""
    home = tmp_path_factory.mktemp("conformance")
    env = {"KILLTOKEN_HOME": str(home), "KILLTOKEN_MASTER_KEY": MASTER_KEY}
    settings = Settings.from_env(env, upstream_read_timeout=READ_TIMEOUT)
    with running_gateway(settings) as gateway:
        # Hundreds of cases share this tenant: lift its per-minute guardrail out of the way.
        token = settings.paths.admin_token_file.read_text().strip()
        lifted = httpx.patch(
            f"{gateway.url}/v1/admin/tenants/default",
            json={"rateLimitPerMinute": MAX_RATE_LIMIT_PER_MINUTE},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert lifted.status_code == 200, lifted.text
        yield gateway


@pytest.fixture(params=CASES, ids=[c.id for c in CASES])
def case(request: pytest.FixtureRequest) -> Case:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
def fake(case: Case, live: LiveGateway) -> Iterator[FakeServer]:
    server = case.make_fake().start()
    store(live, case.credential(server, server.base_url))
    yield server
    server.stop()
    assert server.problems == [], f"the fake saw wire-format problems: {server.problems}"


def store(live: LiveGateway, credential: dict[str, Any]) -> None:
    with live.client() as http:
        response = http.post("/v1/provider-credentials", json=credential)
    assert response.status_code == 201, response.text


def chat(live: LiveGateway, case: Case, messages: list[dict[str, Any]], **params: Any) -> httpx.Response:
    body = {"provider": case.provider, "model": case.model, "messages": messages, **params}
    with live.client() as http:
        return http.post("/v1/chat", json=body)


def model_calls(fake: FakeServer) -> list[Received]:
    """What reached the provider's model API (Vertex's fake also serves the token endpoint)."""
    return [r for r in fake.received if not r.path.endswith("/token")]


def sent(fake: FakeServer) -> dict[str, Any]:
    calls = model_calls(fake)
    assert len(calls) == 1, [r.path for r in fake.received]
    return calls[0].body  # type: ignore[no-any-return]


def test_plain_chat_sends_exactly_the_provider_request(live: LiveGateway, case: Case, fake: FakeServer):
    fake.replies.append(case.text_reply("Paris"))
    response = chat(
        live,
        case,
        [{"role": "system", "content": "Answer in one word."}, {"role": "user", "content": "Capital of France?"}],
        temperature=0.2,
        max_tokens=16,
        metadata={"feature": "conformance"},
        optimizationMode="measure_only",
        cachePolicy={"exactCache": "bypass"},
    )
    assert response.status_code == 200, response.text
    [received] = model_calls(fake)
    assert received.method == "POST"
    assert received.path == case.path(case.model)
    assert case.auth_ok(received)
    assert received.body == case.plain_body("Answer in one word.")  # our own fields never go upstream
    body = response.json()
    assert body["object"] == "chat.completion"
    assert body["choices"][0]["message"] == {"role": "assistant", "content": "Paris", "refusal": None}
    assert body["choices"][0]["finish_reason"] == "stop"
    assert body["killtoken"]["metrics"]["provider"] == case.provider
    assert SECRET not in response.text and AWS_SECRET not in response.text


def test_system_and_developer_messages_reach_the_provider_in_order(live: LiveGateway, case: Case, fake: FakeServer):
    messages = [
        {"role": "system", "content": "Answer in one word."},
        {"role": "developer", "content": [{"type": "text", "text": "Be polite."}]},
        {"role": "user", "content": "Capital of France?"},
    ]
    response = chat(live, case, messages)
    assert response.status_code == 200, response.text
    body = sent(fake)
    system = case.wire.system(body)
    flat = system if isinstance(system, str) else ""
    assert flat.index("Answer in one word.") < flat.index("Be polite.")
    assert case.wire.turns(body) == [("user", [("text", "Capital of France?")])]


def test_multi_part_content_keeps_text_and_images_and_drops_empty_parts(
    live: LiveGateway, case: Case, fake: FakeServer
):
    content = [
        {"type": "text", "text": "Describe"},
        {"type": "text", "text": ""},
        {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}"}},
        {"type": "text", "text": "briefly."},
    ]
    response = chat(live, case, [{"role": "user", "content": content}])
    assert response.status_code == 200, response.text
    assert case.wire.turns(sent(fake)) == [
        ("user", [("text", "Describe"), ("image", "image/png", PNG), ("text", "briefly.")])
    ]


def test_tools_round_trip(live: LiveGateway, case: Case, fake: FakeServer):
    history = [
        {"role": "user", "content": "Weather in Paris and Rome?"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_paris01",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "call_paris01", "content": '{"temp_c": 21}'},
    ]
    fake.replies.append(case.tool_reply(ToolUse("call_rome0002", "get_weather", {"city": "Rome"})))
    response = chat(live, case, history, tools=[WEATHER_TOOL], tool_choice="auto")
    assert response.status_code == 200, response.text
    body = sent(fake)
    assert case.wire.tool_names(body) == ["get_weather"]
    [use] = case.wire.tool_uses(body)
    assert (use.name, use.arguments) == ("get_weather", {"city": "Paris"})
    [(result_id, result)] = case.wire.tool_results(body)
    assert result_id == use.call_id and json.loads(result) == {"temp_c": 21}
    choice = response.json()["choices"][0]
    assert choice["finish_reason"] == "tool_calls"
    [call] = choice["message"]["tool_calls"]
    assert call["type"] == "function" and call["id"]
    assert call["function"]["name"] == "get_weather" and json.loads(call["function"]["arguments"]) == {"city": "Rome"}


def test_usage_with_cached_and_reasoning_tokens_is_normalized_and_kept_raw(
    live: LiveGateway, case: Case, fake: FakeServer
):
    fake.replies.append(case.usage_reply(case.usage.reply_usage))
    response = chat(live, case, [{"role": "user", "content": "Think hard."}])
    assert response.status_code == 200, response.text
    metrics = response.json()["killtoken"]["metrics"]
    expected = case.usage
    assert (
        metrics["promptTokens"],
        metrics["cachedPromptTokens"],
        metrics["cacheWriteTokens"],
        metrics["completionTokens"],
        metrics["reasoningTokens"],
    ) == (expected.prompt, expected.cached, expected.cache_write, expected.completion, expected.reasoning)
    usage = response.json()["usage"]
    assert (usage["prompt_tokens"], usage["completion_tokens"]) == (expected.prompt, expected.completion)
    with live.client() as http:
        record = http.get(f"/v1/requests/{metrics['requestId']}")
    assert record.status_code == 200
    assert record.json()["provider_usage"] == expected.reply_usage


def test_rate_limit_keeps_429_and_retry_after(live: LiveGateway, case: Case, fake: FakeServer):
    reply = case.error(429, "Too many requests, slow down.")
    reply.headers["retry-after"] = "7"
    fake.replies.append(reply)
    response = chat(live, case, [{"role": "user", "content": "Hi"}])
    assert response.status_code == 429, response.text
    assert response.json()["error"] == "upstream_rate_limited"
    assert response.headers["retry-after"] == "7"


def test_client_error_keeps_status_and_the_providers_message(live: LiveGateway, case: Case, fake: FakeServer):
    fake.replies.append(case.error(400, f"max_tokens is too large for this model (credential {case.secret})"))
    response = chat(live, case, [{"role": "user", "content": "Hi"}])
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["error"] == "upstream_bad_request"
    assert "max_tokens is too large for this model" in body["message"] and case.provider in body["message"]
    assert case.secret not in response.text  # a provider echoing a secret never gets it back to the client
    with live.client() as http:
        record = http.get(f"/v1/requests/{response.headers['x-killtoken-request-id']}").text
    assert case.secret not in record


@pytest.mark.parametrize(
    "reply",
    [
        Reply(500, {"error": "boom"}),
        Reply(503, b"<html>Service Unavailable</html>"),
        Reply(200, b"<html>oops</html>"),
        Reply(200, {"unexpected": True}),
    ],
    ids=["500", "503-html", "200-html", "200-wrong-shape"],
)
def test_server_errors_and_garbage_are_502_upstream_error(
    live: LiveGateway, case: Case, fake: FakeServer, reply: Reply
):
    fake.replies.append(reply)
    response = chat(live, case, [{"role": "user", "content": "Hi"}])
    assert response.status_code == 502, response.text
    assert response.json()["error"] == "upstream_error"


def test_timeout_is_504_upstream_timeout(live: LiveGateway, case: Case, fake: FakeServer):
    fake.replies.append(Reply(200, {}, delay=READ_TIMEOUT * 3))
    response = chat(live, case, [{"role": "user", "content": "Hi"}])
    assert response.status_code == 504, response.text
    assert response.json()["error"] == "upstream_timeout"


def test_refused_connection_is_502_upstream_unreachable(live: LiveGateway, case: Case, fake: FakeServer):
    closed = f"http://127.0.0.1:{free_port()}"
    base = fake.base_url.replace(fake.origin, closed)
    store(live, case.credential(fake, base))
    response = chat(live, case, [{"role": "user", "content": "Hi"}])
    assert response.status_code == 502, response.text
    assert response.json()["error"] == "upstream_unreachable"


def test_provider_is_reachable_through_the_openai_door(live: LiveGateway, case: Case, fake: FakeServer):
    fake.replies.append(case.text_reply("Paris"))
    with live.client() as http:
        by_prefix = http.post(
            "/v1/openai/chat/completions",
            json={"model": f"{case.provider}/{case.model}", "messages": [{"role": "user", "content": "Hi"}]},
        )
        by_header = http.post(
            "/v1/openai/chat/completions",
            json={"model": case.model, "messages": [{"role": "user", "content": "Hi"}]},
            headers={"x-killtoken-provider": case.provider},
        )
    for response in (by_prefix, by_header):
        assert response.status_code == 200, response.text
        assert response.json()["killtoken"]["metrics"]["provider"] == case.provider
    paths = [r.path for r in model_calls(fake)]
    assert paths == [case.path(case.model)] * 2


def test_private_key_never_leaves_the_gateway(live: LiveGateway, case: Case, fake: FakeServer):
    with live.client() as http:
        listed = http.get("/v1/provider-credentials").text
    assert SECRET not in listed and AWS_SECRET not in listed and "PRIVATE KEY" not in listed
    assert SA_PRIVATE_PEM not in listed


def test_the_credential_test_makes_the_chat_paths_authorized_call(live: LiveGateway, case: Case, fake: FakeServer):
    """Vertex (OAuth token) and Bedrock (SigV4) need `authorize`; the probe shares the chat path's call."""
    with live.client() as http:
        credential = http.post("/v1/provider-credentials", json=case.credential(fake, fake.base_url)).json()
        # Without a model the probe picks the provider's small one (Azure: the configured deployment).
        named = {} if case.provider in PROBE_MODELS or case.provider == "azure_openai" else {"model": case.model}
        result = http.post(f"/v1/provider-credentials/{credential['id']}/test", json=named).json()
    assert (result["status"], result["httpStatus"]) == ("ok", 200), result
    calls = model_calls(fake)
    assert len(calls) == 1 and case.auth_ok(calls[0])


# Where each provider is called when its credential has no `baseUrl`, as the reference sheet gives it
# (§1 table, §3.12.2 Vertex hosts, §3.13 Bedrock example), written out rather than read from the adapters.
DEFAULT_HOSTS = [
    ("openai", "gpt-4.1-mini", {}, "https://api.openai.com/v1/chat/completions"),
    ("mistral", "mistral-small-latest", {}, "https://api.mistral.ai/v1/chat/completions"),
    ("deepseek", "deepseek-chat", {}, "https://api.deepseek.com/chat/completions"),
    ("together", "meta-llama/Llama-3.3-70B-Instruct-Turbo", {}, "https://api.together.xyz/v1/chat/completions"),
    ("perplexity", "sonar", {}, "https://api.perplexity.ai/chat/completions"),
    ("xai", "grok-4-fast-non-reasoning", {}, "https://api.x.ai/v1/chat/completions"),
    ("openrouter", "openai/gpt-4o-mini", {}, "https://openrouter.ai/api/v1/chat/completions"),
    ("anthropic", "claude-sonnet-4-5", {}, "https://api.anthropic.com/v1/messages"),
    (
        "gemini",
        "gemini-2.5-flash",
        {},
        "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:generateContent",
    ),
    (
        "google_vertex-gemini",
        "gemini-2.5-flash",
        {"location": "us-central1"},
        "https://us-central1-aiplatform.googleapis.com/v1/projects/acme-ai/locations/us-central1"
        "/publishers/google/models/gemini-2.5-flash:generateContent",
    ),
    (
        "google_vertex-claude",
        "claude-sonnet-4-5@20250929",
        {"location": "us-east5"},
        "https://us-east5-aiplatform.googleapis.com/v1/projects/acme-ai/locations/us-east5"
        "/publishers/anthropic/models/claude-sonnet-4-5@20250929:rawPredict",
    ),
    (
        "google_vertex-gemini",
        "gemini-2.5-flash",
        {"location": "eu"},
        "https://aiplatform.eu.rep.googleapis.com/v1/projects/acme-ai/locations/eu"
        "/publishers/google/models/gemini-2.5-flash:generateContent",
    ),
    (
        "aws_bedrock",
        "us.anthropic.claude-3-5-haiku-20241022-v1:0",
        {"region": "us-east-1"},
        "https://bedrock-runtime.us-east-1.amazonaws.com/model/us.anthropic.claude-3-5-haiku-20241022-v1%3A0/converse",
    ),
    (
        "aws_bedrock",
        "anthropic.claude-3-haiku-20240307-v1:0",
        {"region": "eu-west-3"},
        "https://bedrock-runtime.eu-west-3.amazonaws.com/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse",
    ),
]


@pytest.mark.parametrize(
    ("case_id", "model", "config", "expected_url"),
    DEFAULT_HOSTS,
    ids=[f"{row[0]}-{row[2].get('location') or row[2].get('region') or 'default'}" for row in DEFAULT_HOSTS],
)
def test_without_a_base_url_the_call_goes_to_the_providers_own_host(
    live: LiveGateway,
    monkeypatch: pytest.MonkeyPatch,
    case_id: str,
    model: str,
    config: dict[str, str],
    expected_url: str,
):
    """The gateway's HTTP client is intercepted: calls to the fake (Vertex's token endpoint) go through,
    anything else is answered in place, so the real hosts are never contacted."""
    case = next(c for c in CASES if c.id == case_id)
    fake = case.make_fake().start()
    called: list[Received] = []
    really_exchange = UpstreamClient.exchange

    async def exchange(
        client: UpstreamClient, url: str, body: bytes, headers: Mapping[str, str], *, timeout: float | None = None
    ) -> tuple[int, Mapping[str, str], bytes]:
        if url.startswith(fake.origin + "/"):
            return await really_exchange(client, url, body, headers, timeout=timeout)
        called.append(Received("POST", url, {k.lower(): v for k, v in headers.items()}, json.loads(body), body))
        reply = case.text_reply("Paris")
        return reply.status, {"content-type": "application/json"}, json.dumps(reply.body).encode()

    monkeypatch.setattr(UpstreamClient, "exchange", exchange)
    try:
        credential = case.credential(fake, fake.base_url)
        del credential["config"]["baseUrl"]
        credential["config"].update(config)
        store(live, credential)
        response = chat(live, replace(case, model=model), [{"role": "user", "content": "Capital of France?"}])
    finally:
        fake.stop()
    assert response.status_code == 200, response.text
    assert response.json()["choices"][0]["message"]["content"] == "Paris"
    [sent_to_provider] = called
    assert sent_to_provider.path == expected_url
    assert case.auth_ok(sent_to_provider)
    assert model_calls(fake) == []
    if case.provider == "aws_bedrock":  # SigV4 signs for the region the host is in
        assert f"/{config['region']}/bedrock/aws4_request," in sent_to_provider.headers["authorization"]
