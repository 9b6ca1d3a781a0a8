"""The Anthropic door's refusals, keys and paths: every error in Anthropic's shape with the spec's code (as
`APIStatusError.error_code`), OpenAI-style tool payloads refused, the `kt_` key in either header."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

import anthropic
from tests.anthropic.conftest import HELLO, sdk
from tests.conftest import LiveGateway
from tests.fakes.anthropic_server import FakeAnthropic

OPENAI_TOOL = {"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}
ANTHROPIC_TOOL = {"name": "get_weather", "input_schema": {"type": "object"}}


def post(gw: LiveGateway, body: Any, path: str = "/v1/anthropic/messages", **headers: str) -> httpx.Response:
    with httpx.Client(base_url=gw.url, timeout=30) as http:
        return http.post(path, json=body, headers=headers)


def anthropic_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["type"] == "error" and body["error"]["details"]["error_code"] == code and body["code"] == code
    assert isinstance(body["error"]["type"], str) and body["error"]["message"]
    return body


@pytest.mark.parametrize(
    ("payload", "param"),
    [
        ({"tools": [OPENAI_TOOL]}, "tools[0]"),
        ({"tools": [ANTHROPIC_TOOL, {"function": {"name": "f"}}]}, "tools[1]"),
        ({"tools": [ANTHROPIC_TOOL], "tool_choice": "auto"}, "tool_choice"),
        ({"tools": [ANTHROPIC_TOOL], "tool_choice": "required"}, "tool_choice"),
        ({"tools": [ANTHROPIC_TOOL], "tool_choice": {"type": "function", "function": {"name": "f"}}}, "tool_choice"),
        ({"functions": [{"name": "f", "parameters": {}}]}, "functions"),
        ({"function_call": "auto"}, "function_call"),
        ({"tools": [ANTHROPIC_TOOL], "parallel_tool_calls": False}, "parallel_tool_calls"),
    ],
)
def test_openai_style_tool_fields_are_400_and_never_reach_anthropic(
    claude_gateway: LiveGateway, fake_anthropic: FakeAnthropic, payload: dict[str, Any], param: str
):
    with pytest.raises(anthropic.BadRequestError) as error:
        sdk(claude_gateway).messages.create(
            model="claude-sonnet-4-5", max_tokens=64, messages=HELLO, extra_body=payload
        )
    assert error.value.error_code == "invalid_request" and param in error.value.message
    assert "input_schema" in error.value.message and error.value.request_id.startswith("req_")
    assert fake_anthropic.received == []


@pytest.mark.parametrize(
    "turn",
    [
        {"role": "tool", "tool_call_id": "call_1", "content": "sunny"},
        {"role": "function", "name": "get_weather", "content": "sunny"},
        {"role": "assistant", "content": None, "tool_calls": [{"id": "call_1", "type": "function", "function": {}}]},
        {"role": "user", "content": "sunny", "tool_call_id": "call_1"},
    ],
)
def test_openai_style_tool_turns_are_400_invalid_messages(
    claude_gateway: LiveGateway, fake_anthropic: FakeAnthropic, turn: dict[str, Any]
):
    body = {"model": "claude-sonnet-4-5", "max_tokens": 64, "messages": [*HELLO, turn]}
    error = anthropic_error(post(claude_gateway, body, **{"x-api-key": claude_gateway.key}), 400, "invalid_messages")
    assert "messages[1]" in error["error"]["message"] and "tool_result" in error["error"]["message"]
    assert fake_anthropic.received == []


@pytest.mark.parametrize(
    ("body", "code", "named"),
    [
        ({"max_tokens": 64, "messages": HELLO}, "invalid_model", "model"),
        ({"model": "claude-sonnet-4-5", "messages": []}, "invalid_messages", "messages"),
        (
            {"model": "claude-sonnet-4-5", "messages": [{"role": "developer", "content": "x"}]},
            "invalid_messages",
            "messages[0].role",
        ),
        ({"model": "claude-sonnet-4-5", "messages": HELLO, "system": 42}, "invalid_messages", "system"),
        (
            {"model": "claude-sonnet-4-5", "messages": HELLO, "system": [{"type": "image"}]},
            "invalid_messages",
            "system",
        ),
        ({"model": "claude-sonnet-4-5", "messages": HELLO, "metadata": "x"}, "invalid_request", "metadata"),
        (
            {"model": "claude-sonnet-4-5", "messages": HELLO, "cachePolicy": {"exactCache": "x"}},
            "invalid_cache_policy",
            "exactCache",
        ),
        ({"model": "claude-sonnet-4-5", "messages": HELLO, "provider": "openai"}, "invalid_provider", "anthropic"),
        ([1, 2], "invalid_request", "JSON object"),
    ],
)
def test_malformed_fields_get_the_spec_code_naming_the_field(
    claude_gateway: LiveGateway, fake_anthropic: FakeAnthropic, body: Any, code: str, named: str
):
    error = anthropic_error(post(claude_gateway, body, **{"x-api-key": claude_gateway.key}), 400, code)
    assert named in error["error"]["message"] and error["request_id"].startswith("req_")
    assert fake_anthropic.received == []


def test_streaming_is_422_and_never_reaches_anthropic(claude_gateway: LiveGateway, fake_anthropic: FakeAnthropic):
    with pytest.raises(anthropic.UnprocessableEntityError) as error:
        sdk(claude_gateway).messages.create(model="claude-sonnet-4-5", max_tokens=64, messages=HELLO, stream=True)
    assert error.value.error_code == "streaming_not_supported"
    assert fake_anthropic.received == []


def test_a_wrong_key_is_401_and_a_missing_credential_400(gateway: LiveGateway):
    wrong = anthropic.Anthropic(base_url=f"{gateway.url}/v1/anthropic", api_key="kt_wrong", max_retries=0)
    with pytest.raises(anthropic.AuthenticationError) as unauthenticated:
        wrong.messages.create(model="claude-sonnet-4-5", max_tokens=64, messages=HELLO)
    assert unauthenticated.value.error_code == "tenant_not_resolved"
    provider_key = post(gateway, {"model": "claude-sonnet-4-5", "messages": HELLO}, **{"x-api-key": "sk-ant-api03"})
    assert "starts with `kt_`" in anthropic_error(provider_key, 401, "tenant_not_resolved")["error"]["message"]
    with pytest.raises(anthropic.BadRequestError) as missing:
        sdk(gateway).messages.create(model="claude-sonnet-4-5", max_tokens=64, messages=HELLO)
    assert missing.value.error_code == "provider_credential_required"
    assert "kt credentials add anthropic" in missing.value.message


@pytest.mark.parametrize(
    "headers",
    [
        {"x-api-key": "{key}"},
        {"authorization": "Bearer {key}"},
        # The SDK sends both when both are configured (an ANTHROPIC_AUTH_TOKEN in the environment, say).
        {"x-api-key": "{key}", "authorization": "Bearer sk-ant-oat01-something"},
        {"x-api-key": "sk-ant-api03-something", "authorization": "Bearer {key}"},
    ],
    ids=["x-api-key", "bearer", "kt-in-x-api-key", "kt-in-bearer"],
)
def test_the_kt_key_is_accepted_in_either_header(claude_gateway: LiveGateway, headers: dict[str, str]):
    sent = {name: value.format(key=claude_gateway.key) for name, value in headers.items()}
    response = post(claude_gateway, {"model": "claude-sonnet-4-5", "max_tokens": 16, "messages": HELLO}, **sent)
    assert response.status_code == 200, response.text
    assert response.json()["content"][0]["text"] == "Paris."


@pytest.mark.parametrize("path", ["/v1/anthropic/messages", "/v1/anthropic/v1/messages?beta=true", "/v1/messages"])
def test_every_path_the_sdk_produces_reaches_the_door(
    claude_gateway: LiveGateway, fake_anthropic: FakeAnthropic, path: str
):
    body = {"model": "claude-sonnet-4-5", "messages": HELLO}  # no max_tokens: the gateway's default applies
    response = post(claude_gateway, body, path, **{"x-api-key": claude_gateway.key})
    assert response.status_code == 200, response.text
    assert response.headers["request-id"] == response.headers["x-killtoken-request-id"]
    assert fake_anthropic.received[-1].body == {**body, "max_tokens": 4096}


def test_the_bare_host_base_url_works_for_the_sdk(claude_gateway: LiveGateway):
    client = anthropic.Anthropic(base_url=claude_gateway.url, api_key=claude_gateway.key, max_retries=0)
    assert client.messages.create(model="claude-sonnet-4-5", max_tokens=16, messages=HELLO).content[0].text == "Paris."


def test_count_tokens_and_other_endpoints_are_501_and_not_retried(claude_gateway: LiveGateway):
    seen: list[str] = []
    http = anthropic.DefaultHttpxClient(event_hooks={"request": [lambda request: seen.append(request.url.path)]})
    client = sdk(claude_gateway, max_retries=2, http_client=http)
    with pytest.raises(anthropic.HTTPNotImplementedError) as error:
        client.messages.count_tokens(model="claude-sonnet-4-5", messages=HELLO)
    assert error.value.error_code == "not_implemented" and "count" in error.value.message
    with pytest.raises(anthropic.HTTPNotImplementedError):
        client.messages.batches.list()
    assert seen == ["/v1/anthropic/v1/messages/count_tokens", "/v1/anthropic/v1/messages/batches"]
    anthropic_error(post(claude_gateway, {}, "/v1/anthropic/v1/files"), 501, "not_implemented")


def test_an_upstream_rejection_keeps_anthropics_status_and_message(
    claude_gateway: LiveGateway, fake_anthropic: FakeAnthropic
):
    """Unknown fields are Anthropic's to judge: forwarded, and its 400 comes back, never a 500."""
    with pytest.raises(anthropic.BadRequestError) as error:
        sdk(claude_gateway).messages.create(
            model="claude-sonnet-4-5", max_tokens=64, messages=HELLO, extra_body={"not_a_field": 1}
        )
    assert error.value.error_code == "upstream_bad_request" and "unknown field not_a_field" in error.value.message
    assert fake_anthropic.received[-1].body["not_a_field"] == 1


@pytest.mark.parametrize(
    ("status", "code", "exception"),
    [
        (400, "invalid_model", anthropic.BadRequestError),
        (400, "provider_credential_required", anthropic.BadRequestError),
        (401, "tenant_not_resolved", anthropic.AuthenticationError),
        (402, "plan_limit_exceeded", anthropic.PaymentRequiredError),
        (403, "tenant_suspended", anthropic.PermissionDeniedError),
        (403, "provider_auth_failed", anthropic.PermissionDeniedError),
        (404, "model_not_found", anthropic.NotFoundError),
        (409, "idempotency_in_progress", anthropic.ConflictError),
        (413, "upstream_bad_request", anthropic.RequestTooLargeError),
        (422, "streaming_not_supported", anthropic.UnprocessableEntityError),
        (422, "idempotency_key_reused", anthropic.UnprocessableEntityError),
        (429, "rate_limited", anthropic.RateLimitError),
        (429, "upstream_rate_limited", anthropic.RateLimitError),
        (500, "internal_error", anthropic.InternalServerError),
        (501, "not_implemented", anthropic.HTTPNotImplementedError),
        (502, "upstream_error", anthropic.InternalServerError),
        (503, "secrets_unavailable", anthropic.ServiceUnavailableError),
        (503, "upstream_overloaded", anthropic.OverloadedError),  # Anthropic's own 529 on this door
        (504, "upstream_timeout", anthropic.GatewayTimeoutError),
    ],
)
def test_every_status_becomes_the_sdk_exception_with_the_spec_code(status: int, code: str, exception: type):
    """Our Anthropic-shaped error, as the SDK parses it, for every status the gateway can answer."""
    import httpx2

    from killtoken_proxy.api.error_rendering import error_body, status_of
    from killtoken_proxy.errors import KillTokenError

    def answer(request: httpx2.Request) -> httpx2.Response:
        error = KillTokenError("what went wrong", code=code, status=status, headers={"x-killtoken-request-id": "r"})
        path = request.url.path
        return httpx2.Response(status_of(path, error), json=error_body(path, error), headers={"request-id": "req_1"})

    client = anthropic.Anthropic(
        base_url="http://gateway.test/v1/anthropic",
        api_key="kt_x",
        max_retries=0,
        http_client=anthropic.DefaultHttpxClient(transport=httpx2.MockTransport(answer)),
    )
    with pytest.raises(exception) as error:
        client.messages.create(model="claude-sonnet-4-5", max_tokens=16, messages=HELLO)
    assert type(error.value) is exception
    assert error.value.error_code == code and error.value.request_id == "req_1"
    assert "what went wrong" in error.value.message and error.value.body["request_id"] == "r"
