"""Which provider serves a request: explicit choice first, then the model's family, then the tenant's only one.

Rule (documented in the README): the `provider` body field or `x-killtoken-provider` header wins;
then a `provider/model` prefix; then the model name's family (gpt-/o-series -> openai, claude- ->
anthropic, ...); then, if the tenant has credentials for exactly one provider, that one.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping

from killtoken_proxy.errors import InvalidRequest

PROVIDER_HEADER = "x-killtoken-provider"

_FAMILIES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^(gpt-|chatgpt-|o\d+(-|$)|text-|davinci|babbage|computer-use-)"), "openai"),
    (re.compile(r"^claude-"), "anthropic"),
    (re.compile(r"^(gemini-|gemma-)"), "gemini"),
    (re.compile(r"^(mistral-|mixtral-|codestral-|ministral-|magistral-|pixtral-|devstral-|open-mistral)"), "mistral"),
    (re.compile(r"^deepseek-"), "deepseek"),
    (re.compile(r"^grok-"), "xai"),
    (re.compile(r"^(sonar|r1-1776)"), "perplexity"),
)


def family_of(model: str) -> str | None:
    lowered = model.lower()
    return next((provider for pattern, provider in _FAMILIES if pattern.match(lowered)), None)


def route(
    model: str,
    explicit: str | None,
    headers: Mapping[str, str],
    known_providers: Collection[str],
    tenant_providers: Collection[str],
) -> tuple[str, str]:
    """Return (provider, model as the provider should receive it)."""
    chosen = explicit or (headers.get(PROVIDER_HEADER) or "").strip() or None
    if chosen is not None:
        return chosen, model
    prefix, slash, rest = model.partition("/")
    if slash and prefix in known_providers and rest:
        return prefix, rest
    family = family_of(model)
    if family is not None:
        return family, model
    if len(set(tenant_providers)) == 1:
        return next(iter(tenant_providers)), model
    options = ", ".join(sorted(set(tenant_providers))) or "none stored yet"
    raise InvalidRequest(
        f"Cannot tell which provider serves model {model!r}. Prefix it as `provider/model` "
        f"(for example `openai_compatible/{model}`) or send the `x-killtoken-provider` header. "
        f"Providers with stored credentials: {options}.",
        code="invalid_model",
        param="model",
    )
