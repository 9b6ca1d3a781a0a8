"""The routing rule on the OpenAI door: explicit, prefix, family, the tenant's default, else invalid_model."""

from __future__ import annotations

import pytest

from killtoken_proxy.errors import InvalidRequest
from killtoken_proxy.gateway.routing import Route, credential_hint, route
from killtoken_proxy.providers.registry import CONTRACT_PROVIDERS

HEADER = "x-killtoken-provider"


@pytest.mark.parametrize(
    ("model", "explicit", "headers", "reachable", "expected"),
    [
        # The spec's example reaches openai unchanged, whatever else the tenant has.
        ("gpt-4.1-mini", None, {}, {"openai_compatible": None}, ("openai", "gpt-4.1-mini", "family")),
        ("o3-mini", None, {}, {}, ("openai", "o3-mini", "family")),
        ("o1", None, {}, {}, ("openai", "o1", "family")),
        ("chatgpt-4o-latest", None, {}, {}, ("openai", "chatgpt-4o-latest", "family")),
        ("claude-sonnet-4-5", None, {}, {}, ("anthropic", "claude-sonnet-4-5", "family")),
        ("gemini-2.5-flash", None, {}, {}, ("gemini", "gemini-2.5-flash", "family")),
        ("mistral-large-latest", None, {}, {}, ("mistral", "mistral-large-latest", "family")),
        ("deepseek-chat", None, {}, {}, ("deepseek", "deepseek-chat", "family")),
        ("grok-4", None, {}, {}, ("xai", "grok-4", "family")),
        ("sonar-pro", None, {}, {}, ("perplexity", "sonar-pro", "family")),
        # A prefix naming a provider routes and is removed; other slashes are part of the name.
        ("openai_compatible/llama-3", None, {}, {}, ("openai_compatible", "llama-3", "prefix")),
        ("openrouter/openai/gpt-4o", None, {}, {}, ("openrouter", "openai/gpt-4o", "prefix")),
        ("meta-llama/Llama-3-8b", None, {}, {"together": None}, ("together", "meta-llama/Llama-3-8b", "only_provider")),
        # Explicit choice (body field, then header) beats everything.
        ("gpt-4.1-mini", None, {HEADER: "openai_compatible"}, {}, ("openai_compatible", "gpt-4.1-mini", "explicit")),
        ("gpt-4.1-mini", "openrouter", {HEADER: "openai_compatible"}, {}, ("openrouter", "gpt-4.1-mini", "explicit")),
        ("openai/gpt-4.1-mini", "openai", {}, {}, ("openai", "gpt-4.1-mini", "explicit")),
        ("openai/gpt-4o", None, {HEADER: "openrouter"}, {}, ("openrouter", "openai/gpt-4o", "explicit")),
        # The tenant's default: a credential's config.defaultModel, else its only provider.
        (
            "llama-3",
            None,
            {},
            {"openai": None, "openai_compatible": "llama-3"},
            ("openai_compatible", "llama-3", "default_model"),
        ),
        ("llama-3", None, {}, {"openai_compatible": None}, ("openai_compatible", "llama-3", "only_provider")),
        # A named provider without a credential gives way to the credential configured for that model ...
        ("gpt-4o", None, {}, {"azure_openai": "gpt-4o"}, ("azure_openai", "gpt-4o", "default_model")),
        (
            "deepseek-r1:8b",
            None,
            {},
            {"openai_compatible": "deepseek-r1:8b", "anthropic": None},
            ("openai_compatible", "deepseek-r1:8b", "default_model"),
        ),
        # ... then to the tenant's one host of that family, under the same name ...
        ("gpt-4o", None, {}, {"azure_openai": None, "anthropic": None}, ("azure_openai", "gpt-4o", "family_host")),
        ("claude-sonnet-4-5", None, {}, {"google_vertex": None}, ("google_vertex", "claude-sonnet-4-5", "family_host")),
        ("openai/gpt-4o", None, {}, {"openrouter": None}, ("openrouter", "openai/gpt-4o", "family_host")),
        # ... but never takes the spec's example away from a tenant that has openai.
        ("gpt-4o", None, {}, {"openai": None, "azure_openai": "gpt-4o"}, ("openai", "gpt-4o", "family")),
        ("gpt-4o", None, {}, {"anthropic": None}, ("openai", "gpt-4o", "family")),  # credential check explains
        ("gpt-4o", None, {}, {"azure_openai": None, "openrouter": None}, ("azure_openai", "gpt-4o", "family_host")),
    ],
)
def test_routing_rule(model, explicit, headers, reachable, expected):
    assert route(model, explicit, headers, CONTRACT_PROVIDERS, reachable) == Route(*expected)


@pytest.mark.parametrize(
    ("reachable", "named"),
    [
        ({"openai": None, "openai_compatible": None}, ["openai", "openai_compatible"]),
        ({"openai_compatible": "llama-3", "together": "llama-3", "openai": None}, ["openai_compatible", "together"]),
        ({}, ["none stored yet"]),
    ],
)
def test_unknown_or_ambiguous_model_is_invalid_model_naming_the_options(reachable, named):
    with pytest.raises(InvalidRequest) as error:
        route("llama-3", None, {}, CONTRACT_PROVIDERS, reachable)
    assert error.value.code == "invalid_model" and error.value.param == "model"
    for option in named:
        assert option in error.value.message
    assert "x-killtoken-provider" in error.value.message


def test_a_template_provider_ranks_below_the_callers_prefix_and_above_the_family():
    reachable = {"openai_compatible": None}
    assert route("openai_compatible/gpt-4.1-mini", None, {}, CONTRACT_PROVIDERS, reachable, "openai") == Route(
        "openai_compatible", "gpt-4.1-mini", "prefix"
    )
    assert route("claude-sonnet-4-5", None, {}, CONTRACT_PROVIDERS, reachable, "openai") == Route(
        "openai", "claude-sonnet-4-5", "template"
    )
    assert route("gpt-4.1-mini", None, {HEADER: "openrouter"}, CONTRACT_PROVIDERS, reachable, "openai") == Route(
        "openrouter", "gpt-4.1-mini", "explicit"
    )


@pytest.mark.parametrize(
    ("model", "meant"),
    [("openai-compatible/llama", "openai_compatible"), ("OpenAI_Compatible/llama", "openai_compatible"),
     ("Aws-Bedrock/anthropic.claude-3", "aws_bedrock"), ("OpenRouter/openai/gpt-4o", "openrouter")],
)  # fmt: skip
def test_a_provider_prefix_wrong_only_in_case_or_dash_is_invalid_provider(model, meant):
    for explicit in (None, meant):
        with pytest.raises(InvalidRequest) as error:
            route(model, explicit, {}, CONTRACT_PROVIDERS, {"openai_compatible": None})
        assert (error.value.code, error.value.param) == ("invalid_provider", "model")
        assert f"did you mean {meant!r}?" in error.value.message


@pytest.mark.parametrize(
    "model", ["meta-llama/Llama-3-8b", "mistralai/Mixtral-8x7B", "x-ai/grok-4", "Qwen/Qwen2.5-72B"]
)
def test_other_prefixes_are_part_of_the_model_id(model):
    assert route(model, None, {}, CONTRACT_PROVIDERS, {"openrouter": None}) == Route(
        "openrouter", model, "only_provider"
    )


def test_hint_explains_an_implicit_route_to_a_provider_without_credential():
    hint = credential_hint(Route("openai", "gpt-4.1-mini", "family"), ["openai_compatible"])
    assert "openai_compatible/gpt-4.1-mini" in hint and "x-killtoken-provider: openai_compatible" in hint
    assert credential_hint(Route("openai", "gpt-4.1-mini", "explicit"), ["openai_compatible"]) == ""
    assert credential_hint(Route("openai", "gpt-4.1-mini", "family"), []) == ""
    template = credential_hint(Route("openai", "gpt-4.1-mini", "template"), ["openai_compatible"])
    assert "template's default provider" in template and "openai_compatible/gpt-4.1-mini" in template


def test_unroutable_hints_point_at_hosts_of_open_weight_models_and_close_names():
    with pytest.raises(InvalidRequest) as open_weight:
        route("llama-3-70b", None, {}, CONTRACT_PROVIDERS, {"anthropic": None, "openai": None})
    assert "`together/llama-3-70b`" in open_weight.value.message and "anthropic/" not in open_weight.value.message
    with pytest.raises(InvalidRequest) as hosted:
        route("Qwen2.5-72B", None, {}, CONTRACT_PROVIDERS, {"openrouter": None, "openai": None})
    assert "`openrouter/Qwen2.5-72B`" in hosted.value.message and "kt credentials add" not in hosted.value.message
    with pytest.raises(InvalidRequest) as typo:
        route("claud-sonnet-4-5", None, {}, CONTRACT_PROVIDERS, {"anthropic": None, "openai": None})
    assert "Did you mean 'claude-sonnet-4-5'?" in typo.value.message
    with pytest.raises(InvalidRequest) as unknown:
        route("house-model", None, {}, CONTRACT_PROVIDERS, {"anthropic": None, "openai": None})
    assert "Did you mean" not in unknown.value.message and "`<provider>/house-model`" in unknown.value.message


@pytest.mark.parametrize(
    ("model", "reachable", "expected"),
    [
        # A name no rule places goes to the tenant's default provider ...
        ("llama-3.1-8b", {"openai": None, "together": None}, ("together", "llama-3.1-8b", "tenant_default")),
        # ... which also settles two credentials claiming the same defaultModel, if it is one of them ...
        ("llama-3", {"openai_compatible": "llama-3", "together": "llama-3"}, ("together", "llama-3", "tenant_default")),
        # ... but a credential's own defaultModel is more specific than the tenant-wide default ...
        (
            "llama-3",
            {"openai_compatible": "llama-3", "together": None},
            ("openai_compatible", "llama-3", "default_model"),
        ),
        # ... and a model of a known family still goes to that family (or says which credential is missing).
        ("gpt-4o", {"openai": None, "together": None}, ("openai", "gpt-4o", "family")),
        ("claude-sonnet-4-5", {"together": None}, ("anthropic", "claude-sonnet-4-5", "family")),
    ],
)
def test_the_tenants_default_provider_places_names_no_other_rule_does(model, reachable, expected):
    assert route(model, None, {}, CONTRACT_PROVIDERS, reachable, tenant_default="together") == Route(*expected)


def test_a_default_provider_without_a_credential_is_not_used():
    with pytest.raises(InvalidRequest) as error:
        route("llama-3", None, {}, CONTRACT_PROVIDERS, {"openai": None, "mistral": None}, tenant_default="together")
    assert error.value.code == "invalid_model"


def test_a_provider_chosen_otherwise_takes_a_model_name_that_only_looks_like_a_misspelt_prefix():
    """`Mistral/Mistral-7B-Instruct` is a served-model name on one's own vLLM, not a typo of `mistral/`."""
    model = "Mistral/Mistral-7B-Instruct"
    reachable: dict[str, str | None] = {"openai_compatible": None, "openai": None}
    expected = Route("openai_compatible", model, "explicit")
    assert route(model, "openai_compatible", {}, CONTRACT_PROVIDERS, reachable) == expected
    assert route(model, None, {HEADER: "openai_compatible"}, CONTRACT_PROVIDERS, reachable) == expected
    served = {"openai_compatible": "Together/house-model", "openai": None}
    assert route("Together/house-model", None, {}, CONTRACT_PROVIDERS, served) == Route(
        "openai_compatible", "Together/house-model", "default_model"
    )


def test_the_hint_only_suggests_providers_that_serve_the_model_under_that_name():
    gemini = Route("gemini", "gemini-2.5-flash", "family")
    assert "openai_compatible/gemini-2.5-flash" in credential_hint(gemini, ["anthropic", "openai_compatible"])
    assert "google_vertex/gemini-2.5-flash" in credential_hint(gemini, ["google_vertex", "openai_compatible"])
    vague = credential_hint(gemini, ["anthropic"])
    assert "anthropic/" not in vague and "anthropic" in vague and "add one for `gemini`" in vague


def test_an_unplaced_model_names_a_default_provider_that_lacks_a_credential():
    with pytest.raises(InvalidRequest) as error:
        route("llama-3", None, {}, CONTRACT_PROVIDERS, {"openai": None, "mistral": None}, tenant_default="together")
    assert "default provider `together`" in error.value.message
    assert "kt credentials add together" in error.value.message
