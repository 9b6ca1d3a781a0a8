"""Helpful `invalid_model` messages: who hosts an open-weight family, and did-you-mean over known model names.

Only the error path uses this (the catalog of known names is built once, on the first unroutable model).
"""

from __future__ import annotations

import re
from collections.abc import Collection
from functools import cache

from killtoken_proxy.near_miss import closest

# Open-weight families no single vendor serves: the providers that host them (`openai_compatible` is your own
# server: vLLM, Ollama, LM Studio, ...). Closed families route by name instead (routing._FAMILIES).
_OPEN_WEIGHT = re.compile(
    r"^(meta-llama/|llama|codellama|qwen|qwq|phi-|nous|hermes|yi-|falcon|dbrx|olmo|starcoder|vicuna|"
    r"command-r|wizardlm|solar|openchat|zephyr|granite|kimi|glm-|gpt-oss)"
)
OPEN_WEIGHT_HOSTS = ("together", "openrouter", "openai_compatible")
# Providers whose model names routing recognises by family; their priced models are what users mistype.
_NAMED_FAMILIES = ("openai", "anthropic", "gemini", "mistral", "deepseek", "xai", "perplexity")


@cache
def _known_names() -> tuple[str, ...]:
    from killtoken_proxy.gateway.model_catalog import priced_chat_models

    return tuple(sorted({name for provider in _NAMED_FAMILIES for name in priced_chat_models(provider)}))


def hosts_for(model: str) -> tuple[str, ...]:
    """Providers that serve this open-weight model family, or () when it is not one."""
    return OPEN_WEIGHT_HOSTS if _OPEN_WEIGHT.match(model.lower()) else ()


def did_you_mean(model: str) -> str | None:
    return closest(model, _known_names(), cutoff=0.8)


def unroutable_message(model: str, defaults: Collection[str], reachable: Collection[str], header: str) -> str:
    """Why no provider was chosen, and the one concrete fix most likely to be right."""
    hosts = hosts_for(model)
    stored = ", ".join(sorted(reachable)) or "none stored yet"
    lines = [f"Cannot tell which provider serves model {model!r}."]
    if len(defaults) > 1:
        first = sorted(defaults)[0]
        lines.append(
            f"It is the default model of several credentials ({', '.join(sorted(defaults))}): "
            f"name one as `{first}/{model}` or send the `{header}: {first}` header."
        )
    elif hosts:
        usable = [h for h in hosts if h in reachable]
        example = usable[0] if usable else hosts[0]
        lines.append(
            f"Open-weight models like it are served by {', '.join(hosts[:-1])} or {hosts[-1]} (your own server):"
            f" name one as `{example}/{model}` or send the `{header}: {example}` header."
        )
        if not usable:
            lines.append(f"None of them has a stored credential yet (`kt credentials add {example}`).")
    else:
        suggestion = did_you_mean(model)
        if suggestion is not None:
            lines.append(f"Did you mean {suggestion!r}?")
        example = sorted(reachable)[0] if len(reachable) == 1 else "<provider>"
        lines.append(f"Name the provider as `{example}/{model}` or send the `{header}` header.")
    lines.append(f"Providers with stored credentials: {stored}.")
    return " ".join(lines)
