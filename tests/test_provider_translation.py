"""Translation rules per provider, on the adapters directly: merging, defaults, ranges, dropped and refused
parameters, images, tools, finish reasons and usage (reference sheet §2 and §3)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from killtoken_proxy.errors import InvalidRequest, KillTokenError
from killtoken_proxy.gateway.chat_request import ChatRequest
from killtoken_proxy.providers import anthropic_format, registry
from killtoken_proxy.providers.base import Credential
from tests.fakes import bedrock_server, gemini_server
from tests.provider_cases import PNG, SA_EMAIL, SA_PRIVATE_PEM, WEATHER_TOOL

ADAPTERS = registry.default_adapters()
USER = [{"role": "user", "content": "Hi"}]
CREDENTIALS = {
    "aws_bedrock": Credential(
        "cred_b", "aws_bedrock", {"accessKeyId": "AKIDX", "secretAccessKey": "s" * 40}, {"region": "us-east-1"}
    ),
    "google_vertex": Credential(
        "cred_v",
        "google_vertex",
        {"clientEmail": SA_EMAIL, "privateKey": SA_PRIVATE_PEM},
        {"projectId": "acme-ai", "location": "global"},
    ),
    "azure_openai": Credential(
        "cred_a", "azure_openai", {"apiKey": "k"}, {"endpoint": "https://contoso.openai.azure.com", "apiVersion": "v1"}
    ),
    "openai_compatible": Credential(
        "cred_c", "openai_compatible", {"apiKey": "k"}, {"baseUrl": "http://h/v1", "authHeader": "x-api-key"}
    ),
}


def request(messages: list[dict[str, Any]] | None = None, model: str = "m", **params: Any) -> ChatRequest:
    return ChatRequest(provider=None, model=model, messages=messages or USER, params=params)


def body_for(provider: str, req: ChatRequest) -> dict[str, Any]:
    credential = CREDENTIALS.get(provider) or Credential("cred_x", provider, {"apiKey": "k"}, {})
    return dict(json.loads(ADAPTERS[provider].to_request(req, credential).body))


def url_and_headers(provider: str, req: ChatRequest) -> tuple[str, dict[str, str]]:
    credential = CREDENTIALS.get(provider) or Credential("cred_x", provider, {"apiKey": "k"}, {})
    upstream = ADAPTERS[provider].to_request(req, credential)
    return upstream.url, upstream.headers


# -- Anthropic (and Claude on Vertex) ---------------------------------------------------------------------
def test_anthropic_defaults_max_tokens_and_prefers_max_completion_tokens():
    assert body_for("anthropic", request())["max_tokens"] == anthropic_format.DEFAULT_MAX_TOKENS == 4096
    assert body_for("anthropic", request(max_tokens=50, max_completion_tokens=80))["max_tokens"] == 80


def test_anthropic_clamps_ranges_maps_stop_and_user_and_drops_what_it_lacks():
    body = body_for(
        "anthropic",
        request(
            temperature=1.7,
            top_p=0.9,
            stop="END",
            user="u-42",
            seed=7,
            logprobs=True,
            frequency_penalty=0.5,
            store=True,
            service_tier="auto",
            reasoning_effort="low",
            top_k=40,
        ),
    )
    assert body["temperature"] == 1.0 and body["top_p"] == 0.9 and body["top_k"] == 40
    assert body["stop_sequences"] == ["END"] and body["metadata"] == {"user_id": "u-42"}
    assert set(body) == {
        "model",
        "max_tokens",
        "messages",
        "temperature",
        "top_p",
        "top_k",
        "stop_sequences",
        "metadata",
    }


def test_anthropic_merges_same_role_runs_and_groups_parallel_tool_results():
    messages = [
        {"role": "user", "content": "First."},
        {"role": "user", "content": [{"type": "text", "text": "Second."}]},
        {
            "role": "assistant",
            "content": "Checking both.",
            "tool_calls": [
                {"id": "call_a", "type": "function", "function": {"name": "get_weather", "arguments": '{"city":"A"}'}},
                {"id": "call_b", "type": "function", "function": {"name": "get_weather", "arguments": '{"city":"B"}'}},
            ],
        },
        {"role": "tool", "tool_call_id": "call_a", "content": "sunny"},
        {"role": "tool", "tool_call_id": "call_b", "content": "rain"},
        {"role": "user", "content": "Thanks; and tomorrow?"},
    ]
    body = body_for(
        "anthropic", request(messages, tools=[WEATHER_TOOL], tool_choice="required", parallel_tool_calls=False)
    )
    assert [m["role"] for m in body["messages"]] == ["user", "assistant", "user"]
    assert [b["text"] for b in body["messages"][0]["content"]] == ["First.", "Second."]
    assert [b["type"] for b in body["messages"][2]["content"]] == ["tool_result", "tool_result", "text"]
    assert body["messages"][1]["content"][1] == {
        "type": "tool_use",
        "id": "call_a",
        "name": "get_weather",
        "input": {"city": "A"},
    }
    assert body["tool_choice"] == {"type": "any", "disable_parallel_tool_use": True}
    assert body["tools"][0]["input_schema"] == WEATHER_TOOL["function"]["parameters"]


def test_anthropic_named_tool_choice_and_json_schema():
    schema = {"type": "object", "properties": {"a": {"type": "string"}}}
    body = body_for(
        "anthropic",
        request(
            tools=[WEATHER_TOOL],
            tool_choice={"type": "function", "function": {"name": "get_weather"}},
            response_format={"type": "json_schema", "json_schema": {"name": "x", "schema": schema}},
        ),
    )
    assert body["tool_choice"] == {"type": "tool", "name": "get_weather"}
    assert body["output_config"] == {"format": {"type": "json_schema", "schema": schema}}


def test_anthropic_images_inline_or_by_url():
    content = [
        {"type": "image_url", "image_url": {"url": f"data:image/jpeg;base64,{PNG}"}},
        {"type": "image_url", "image_url": {"url": "https://example.org/cat.png"}},
    ]
    blocks = body_for("anthropic", request([{"role": "user", "content": content}]))["messages"][0]["content"]
    assert blocks[0]["source"] == {"type": "base64", "media_type": "image/jpeg", "data": PNG}
    assert blocks[1]["source"] == {"type": "url", "url": "https://example.org/cat.png"}


@pytest.mark.parametrize(
    ("provider", "part"),
    [
        ("anthropic", {"type": "image_url", "image_url": {"url": "data:image/bmp;base64,Qk0="}}),
        ("gemini", {"type": "image_url", "image_url": {"url": "https://example.org/cat.png"}}),
        ("aws_bedrock", {"type": "image_url", "image_url": {"url": "https://example.org/cat.png"}}),
        ("anthropic", {"type": "input_audio", "input_audio": {"data": "AAA", "format": "wav"}}),
        ("gemini", {"type": "file", "file": {"file_id": "file-1"}}),
    ],
)
def test_untranslatable_parts_are_400_invalid_messages_naming_the_part(provider: str, part: dict[str, Any]):
    with pytest.raises(InvalidRequest) as error:
        body_for(provider, request([{"role": "user", "content": [{"type": "text", "text": "Look"}, part]}]))
    assert error.value.code == "invalid_messages" and "messages[0].content[1]" in error.value.message


@pytest.mark.parametrize("provider", ["anthropic", "aws_bedrock"])
def test_n_above_one_is_refused_where_only_one_answer_comes_back(provider: str):
    with pytest.raises(InvalidRequest) as error:
        body_for(provider, request(n=2))
    assert error.value.param == "n"


def test_only_system_messages_is_invalid_messages():
    with pytest.raises(InvalidRequest) as error:
        body_for("anthropic", request([{"role": "system", "content": "Be brief."}]))
    assert error.value.code == "invalid_messages"


# -- Gemini (and Gemini on Vertex) ------------------------------------------------------------------------
def test_gemini_generation_config_tools_and_json_mode():
    body = body_for(
        "gemini",
        request(
            temperature=1.5,
            top_p=0.5,
            top_k=20,
            n=2,
            max_completion_tokens=99,
            stop=["A", "B"],
            seed=3,
            presence_penalty=0.1,
            frequency_penalty=0.2,
            response_format={"type": "json_object"},
            tools=[WEATHER_TOOL],
            tool_choice={"type": "function", "function": {"name": "get_weather"}},
            logit_bias={"1": 2},
            user="u",
        ),
    )
    assert body["generationConfig"] == {
        "temperature": 1.5,
        "topP": 0.5,
        "presencePenalty": 0.1,
        "frequencyPenalty": 0.2,
        "topK": 20,
        "candidateCount": 2,
        "maxOutputTokens": 99,
        "seed": 3,
        "stopSequences": ["A", "B"],
        "responseMimeType": "application/json",
    }
    assert body["toolConfig"] == {"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["get_weather"]}}
    assert set(body) == {"contents", "generationConfig", "tools", "toolConfig"}


def test_gemini_replays_thought_signatures_and_wraps_plain_tool_results():
    adapter = ADAPTERS["gemini"]
    part = {"functionCall": {"name": "get_weather", "args": {"city": "Oslo"}}, "thoughtSignature": "c2ln"}
    result = adapter.from_response(request(), gemini_server.answer_body([part]))
    [call] = result.body["choices"][0]["message"]["tool_calls"]
    history = [
        {"role": "user", "content": "Weather?"},
        {"role": "assistant", "content": None, "tool_calls": [call]},
        {"role": "tool", "tool_call_id": call["id"], "content": "cold"},
    ]
    contents = body_for("gemini", request(history))["contents"]
    assert contents[1]["parts"][0]["thoughtSignature"] == "c2ln"
    assert contents[2]["parts"][0]["functionResponse"] == {
        "name": "get_weather",
        "response": {"result": "cold"},
        "id": call["id"],
    }


def test_gemini_tool_result_without_its_call_is_invalid_messages():
    with pytest.raises(InvalidRequest, match="tool_call_id"):
        body_for("gemini", request([*USER, {"role": "tool", "tool_call_id": "call_x", "content": "1"}]))


@pytest.mark.parametrize(
    ("answer", "finish"),
    [
        (gemini_server.answer_body(finish="MAX_TOKENS"), "length"),
        (gemini_server.answer_body(finish="SAFETY"), "content_filter"),
        (gemini_server.answer_body(finish="OTHER"), "stop"),
        ({"promptFeedback": {"blockReason": "SAFETY"}, "usageMetadata": {"promptTokenCount": 5}}, "content_filter"),
    ],
)
def test_gemini_finish_reasons(answer: dict[str, Any], finish: str):
    assert ADAPTERS["gemini"].from_response(request(), answer).body["choices"][0]["finish_reason"] == finish


def test_gemini_several_candidates_become_several_choices():
    answer = gemini_server.answer_body()
    answer["candidates"].append(
        {"content": {"role": "model", "parts": [{"text": "Lyon"}]}, "finishReason": "STOP", "index": 1}
    )
    choices = ADAPTERS["gemini"].from_response(request(), answer).body["choices"]
    assert [c["message"]["content"] for c in choices] == ["Paris", "Lyon"]


def test_vertex_routes_claude_to_raw_predict_and_gemini_to_generate_content_on_the_global_host():
    claude_url, claude_headers = url_and_headers("google_vertex", request(model="claude-opus-4-1@20250805"))
    gemini_url, _ = url_and_headers("google_vertex", request(model="gemini-2.5-pro"))
    assert claude_url == (
        "https://aiplatform.googleapis.com/v1/projects/acme-ai/locations/global/publishers/anthropic/models/"
        "claude-opus-4-1@20250805:rawPredict"
    )
    assert gemini_url.endswith("/publishers/google/models/gemini-2.5-pro:generateContent")
    assert "anthropic-version" not in {k.lower() for k in claude_headers}


# -- Bedrock ------------------------------------------------------------------------------------------------
def test_bedrock_inference_config_clamps_maps_stop_and_drops_what_converse_lacks():
    body = body_for(
        "aws_bedrock",
        request(
            temperature=1.7,
            top_p=0.9,
            stop="END",
            max_tokens=50,
            max_completion_tokens=80,
            seed=7,
            user="u-42",
            logprobs=True,
            frequency_penalty=0.5,
            presence_penalty=0.5,
            top_k=40,
        ),
    )
    # Converse accepts temperature and topP in [0, 1] only (reference §3.13).
    assert body["inferenceConfig"] == {"maxTokens": 80, "temperature": 1.0, "topP": 0.9, "stopSequences": ["END"]}
    assert set(body) == {"messages", "inferenceConfig"}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"temperature": 0}, {"temperature": 0.0}),  # zero is a setting, not "unset"
        ({"temperature": 2}, {"temperature": 1.0}),
        ({"top_p": 1.5}, {"topP": 1.0}),
        ({"top_p": -0.2}, {"topP": 0.0}),
        ({"stop": ["###", "\n\nHuman:"]}, {"stopSequences": ["###", "\n\nHuman:"]}),
        ({"max_tokens": 16}, {"maxTokens": 16}),
    ],
)
def test_bedrock_each_inference_parameter_lands_in_inference_config(params: dict[str, Any], expected: dict[str, Any]):
    assert body_for("aws_bedrock", request(**params))["inferenceConfig"] == expected


def test_bedrock_sends_no_inference_config_when_nothing_is_set():
    assert "inferenceConfig" not in body_for("aws_bedrock", request(stop=[]))


@pytest.mark.parametrize(("params", "param"), [({"stop": ["ok", 3]}, "stop"), ({"temperature": "hot"}, "temperature")])
def test_bedrock_malformed_inference_parameters_are_400_naming_the_parameter(params: dict[str, Any], param: str):
    with pytest.raises(InvalidRequest) as error:
        body_for("aws_bedrock", request(**params))
    assert error.value.status == 400 and error.value.param == param


def test_bedrock_tool_choice_none_leaves_tools_out_and_required_is_any():
    assert "toolConfig" not in body_for("aws_bedrock", request(tools=[WEATHER_TOOL], tool_choice="none"))
    config = body_for("aws_bedrock", request(tools=[WEATHER_TOOL], tool_choice="required"))["toolConfig"]
    assert config["toolChoice"] == {"any": {}}
    assert config["tools"][0]["toolSpec"]["inputSchema"] == {"json": WEATHER_TOOL["function"]["parameters"]}


def test_bedrock_refuses_json_schema_and_encodes_arns_in_the_url():
    with pytest.raises(InvalidRequest):
        body_for("aws_bedrock", request(response_format={"type": "json_schema", "json_schema": {"schema": {}}}))
    url, headers = url_and_headers("aws_bedrock", request(model="arn:aws:bedrock:us-east-1:1:inference-profile/x"))
    assert url.endswith("/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A1%3Ainference-profile%2Fx/converse")
    assert "X-Amz-Security-Token" not in headers


@pytest.mark.parametrize(
    ("usage", "expected_input"),
    [
        ({"inputTokens": 1000, "outputTokens": 10, "totalTokens": 1010, "cacheReadInputTokens": 600}, 1000),
        ({"inputTokens": 400, "outputTokens": 10, "totalTokens": 1010, "cacheReadInputTokens": 600}, 1000),
        ({"inputTokens": 100, "outputTokens": 10, "cacheReadInputTokens": 600}, 700),  # no total: cannot include it
    ],
)
def test_bedrock_usage_counts_cached_input_once(usage: dict[str, int], expected_input: int):
    result = ADAPTERS["aws_bedrock"].from_response(request(), bedrock_server.answer_body(usage=usage))
    assert (result.usage.input_tokens, result.usage.cached_input_tokens) == (expected_input, 600)


def test_bedrock_error_names_the_aws_error_type():
    reply = bedrock_server.error(429, "ThrottlingException", "Too many requests")
    error = ADAPTERS["aws_bedrock"].map_error(429, reply.body, {k.lower(): v for k, v in reply.headers.items()})
    assert error.status == 429 and "ThrottlingException: Too many requests" in error.message


# -- OpenAI family quirks -------------------------------------------------------------------------------
def test_mistral_whitelists_renames_and_rewrites_tool_ids_consistently():
    history = [
        {"role": "developer", "content": "Terse."},
        {"role": "user", "content": "Weather?"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [{"id": "toolu_01ABC", "type": "function", "function": {"name": "w", "arguments": "{}"}}],
        },
        {"role": "tool", "tool_call_id": "toolu_01ABC", "content": "sunny"},
    ]
    body = body_for(
        "mistral", request(history, seed=7, max_completion_tokens=9, max_tokens=5, logprobs=True, store=True, user="u")
    )
    assert body["random_seed"] == 7 and body["max_tokens"] == 9
    assert not {"seed", "logprobs", "store", "user", "max_completion_tokens"} & set(body)
    assert body["messages"][0]["role"] == "system"
    new_id = body["messages"][2]["tool_calls"][0]["id"]
    assert len(new_id) == 9 and new_id.isalnum() and body["messages"][3]["tool_call_id"] == new_id


def test_deepseek_gets_its_reasoning_content_back_on_a_replayed_tool_turn():
    adapter = ADAPTERS["deepseek"]
    call = {"id": "call_ds1", "type": "function", "function": {"name": "w", "arguments": "{}"}}
    answer = {
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": None,
                    "reasoning_content": "Need weather.",
                    "tool_calls": [call],
                },
                "finish_reason": "tool_calls",
            }
        ]
    }
    adapter.from_response(request(), answer)
    history = [
        *USER,
        {"role": "assistant", "content": None, "tool_calls": [call]},
        {"role": "tool", "tool_call_id": "call_ds1", "content": "sun"},
    ]
    assert body_for("deepseek", request(history))["messages"][1]["reasoning_content"] == "Need weather."
    assert "reasoning_content" not in body_for("openai", request(history))["messages"][1]


def test_perplexity_merges_same_role_runs_for_alternation():
    messages = [{"role": "system", "content": "S"}, {"role": "user", "content": "a"}, {"role": "user", "content": "b"}]
    assert body_for("perplexity", request(messages))["messages"] == [
        {"role": "system", "content": "S"},
        {"role": "user", "content": "a\n\nb"},
    ]


def test_openai_passes_unknown_fields_through_and_keeps_the_developer_role():
    body = body_for("openai", request([{"role": "developer", "content": "x"}, *USER], store=True, verbosity="low"))
    assert body["store"] is True and body["verbosity"] == "low" and body["messages"][0]["role"] == "developer"


@pytest.mark.parametrize(
    ("provider", "reason", "expected"),
    [
        ("together", "eos", "stop"),
        ("mistral", "model_length", "length"),
        ("deepseek", "insufficient_system_resource", "length"),
        ("openrouter", "error", "stop"),
        ("openai_compatible", None, "stop"),
        ("openai_compatible", "stop_sequence", "stop"),
    ],
)
def test_family_finish_reasons_are_mapped_to_openai_values(provider: str, reason: str | None, expected: str):
    answer = {"choices": [{"index": 0, "message": {"role": "assistant", "content": "x"}, "finish_reason": reason}]}
    assert ADAPTERS[provider].from_response(request(), answer).body["choices"][0]["finish_reason"] == expected


def test_family_normalizes_chunked_content_and_object_arguments():
    answer = {
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": [
                        {"type": "thinking", "thinking": []},
                        {"type": "text", "text": "Ro"},
                        {"type": "text", "text": "me"},
                    ],
                    "tool_calls": [
                        {"id": "abcdefghi", "type": "function", "function": {"name": "f", "arguments": {"a": 1}}}
                    ],
                },
                "finish_reason": None,
            }
        ]
    }
    choice = ADAPTERS["mistral"].from_response(request(), answer).body["choices"][0]
    assert choice["message"]["content"] == "Rome" and choice["finish_reason"] == "tool_calls"
    assert choice["message"]["tool_calls"][0]["function"]["arguments"] == '{"a": 1}'


def test_azure_v1_api_and_custom_auth_header_and_openai_org_headers():
    url, headers = url_and_headers("azure_openai", request(model="gpt4o-prod"))
    assert url == "https://contoso.openai.azure.com/openai/v1/chat/completions" and headers["api-key"] == "k"
    assert body_for("azure_openai", request(model="gpt4o-prod"))["model"] == "gpt4o-prod"
    _, compatible = url_and_headers("openai_compatible", request())
    assert compatible["x-api-key"] == "k" and "Authorization" not in compatible
    org = Credential("cred_o", "openai", {"apiKey": "k"}, {"organization": "org-1", "project": "proj-1"})
    sent = ADAPTERS["openai"].to_request(request(), org).headers
    assert sent["OpenAI-Organization"] == "org-1" and sent["OpenAI-Project"] == "proj-1"


@pytest.mark.parametrize("provider", sorted(ADAPTERS))
def test_garbage_answers_are_upstream_errors_never_crashes(provider: str):
    model = "claude-x" if provider == "google_vertex" else "m"
    for garbage in (None, "text", [], {"choices": "x"}, {"candidates": "x"}, {"output": {}}, {"content": "x"}):
        with pytest.raises(KillTokenError) as error:
            ADAPTERS[provider].from_response(request(model=model), garbage)
        assert error.value.status == 502 and error.value.code == "upstream_error"


@pytest.mark.parametrize(
    ("provider", "model"),
    [
        ("openai", "gpt-4.1-mini"),
        ("anthropic", "claude-sonnet-4-5-20250929"),
        ("gemini", "gemini-2.5-flash"),
        ("mistral", "mistral-small-latest"),
        ("deepseek", "deepseek-chat"),
        ("openrouter", "openai/gpt-4o-mini"),
        ("together", "meta-llama/Llama-3.3-70B-Instruct-Turbo"),
        ("perplexity", "sonar"),
        ("xai", "grok-4-fast-non-reasoning"),
        ("azure_openai", "gpt-4o-2024-11-20"),
        ("aws_bedrock", "anthropic.claude-3-haiku-20240307-v1:0"),
        ("google_vertex", "gemini-2.5-flash"),
        ("google_vertex", "claude-sonnet-4-5@20250929"),
    ],
)
def test_every_provider_maps_to_its_genai_prices_provider(provider: str, model: str):
    from killtoken_proxy.gateway.pricing import PriceBook
    from killtoken_proxy.providers.base import Usage

    cost = PriceBook().quote(None, provider, model, Usage(input_tokens=1000, output_tokens=100)).cost
    assert cost is not None and cost > 0
