"""DeepSeek: OpenAI shape; no `developer` role; cache hits reported as `prompt_cache_hit_tokens`.

In thinking mode a tool-calling turn must come back with its `reasoning_content`; OpenAI clients drop it,
so it is remembered by tool-call id and restored.
"""

from __future__ import annotations

from killtoken_proxy.providers.openai_family import OpenAIFamilyAdapter, usage_deepseek
from killtoken_proxy.providers.replay_memory import ReplayMemory

NAME = "deepseek"
DEFAULT_BASE_URL = "https://api.deepseek.com"


def create() -> OpenAIFamilyAdapter:
    return OpenAIFamilyAdapter(
        name=NAME,
        default_base_url=DEFAULT_BASE_URL,
        developer_as_system=True,
        read_usage=usage_deepseek,
        reasoning_replay=ReplayMemory(),
    )
