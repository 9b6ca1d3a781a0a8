"""Mistral: a whitelist of body fields (it rejects unknown ones), `seed` as `random_seed`, 9-char tool ids."""

from __future__ import annotations

from killtoken_proxy.providers.openai_family import OpenAIFamilyAdapter, mistral_tool_id

NAME = "mistral"
DEFAULT_BASE_URL = "https://api.mistral.ai/v1"

# Mistral's ChatCompletionRequest fields (reference §3.9), besides model and messages.
ALLOWED = frozenset(
    {
        "temperature",
        "top_p",
        "max_tokens",
        "stop",
        "random_seed",
        "metadata",
        "response_format",
        "tools",
        "tool_choice",
        "presence_penalty",
        "frequency_penalty",
        "n",
        "prediction",
        "parallel_tool_calls",
        "reasoning_effort",
        "prompt_mode",
        "guardrails",
        "prompt_cache_key",
        "safe_prompt",
    }
)


def create() -> OpenAIFamilyAdapter:
    return OpenAIFamilyAdapter(
        name=NAME,
        default_base_url=DEFAULT_BASE_URL,
        allowed_params=ALLOWED,
        renamed_params={"seed": "random_seed", "max_completion_tokens": "max_tokens"},
        developer_as_system=True,
        tool_id=mistral_tool_id,
    )
