"""Which provider serves a request: explicit choice first, then a prefix, the model's family, the tenant's default.

Rule (documented in the README): the `provider` body field or `x-killtoken-provider` header wins;
then a `provider/model` prefix, then a template's default provider, then the model name's family
(gpt-/o-series -> openai, claude- -> anthropic, ...), when the tenant has a credential for that provider;
then the provider whose credential has this model as its `config.defaultModel`; then the tenant's only
host of that family (Azure for gpt-*, ...); else the named provider (the credential check explains);
without a name, the tenant's default provider, then its only provider. Anything else is 400 `invalid_model`.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass

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


# Providers that serve another provider's models under the same name, when the tenant lacks that provider.
_HOSTS_BY_RULE: dict[str, dict[str, tuple[str, ...]]] = {
    "family": {"openai": ("azure_openai",), "anthropic": ("google_vertex",), "gemini": ("google_vertex",)},
    "prefix": {name: ("openrouter",) for name in ("openai", "anthropic", "deepseek")},  # `openai/gpt-4o` is its id
}


@dataclass(frozen=True)
class Route:
    provider: str
    model: str  # as the provider should receive it (a routing prefix removed)
    # explicit | prefix | template | family | default_model | family_host | tenant_default | only_provider:
    # recorded in the ledger (`routed_by`), used in hints
    rule: str


def family_of(model: str) -> str | None:
    lowered = model.lower()
    return next((provider for pattern, provider in _FAMILIES if pattern.match(lowered)), None)


def split_prefix(
    model: str, known_providers: Collection[str], *, strict: bool = True, chosen: str | None = None
) -> tuple[str, str] | None:
    """`provider/model` -> (provider, model) when the prefix names a provider KillToken knows.

    Other prefixes are part of the model's id (`meta-llama/...`, `mistralai/...`), except a provider's name
    misspelt in case or `-`/`_` (`openai-compatible/`): that would silently route by the rest, so it is
    refused. Not when `strict` is off (the provider is chosen otherwise, so the name is the model's, as
    `Mistral/Mistral-7B` on one's own server), unless it misspells the `chosen` provider itself.
    """
    prefix, slash, rest = model.partition("/")
    if not slash or not rest:
        return None
    if prefix in known_providers:
        return prefix, rest
    folded = prefix.lower().replace("-", "_")
    meant = next((name for name in known_providers if name.lower().replace("-", "_") == folded), None)
    if meant is not None and (strict or meant == chosen):
        raise InvalidRequest(
            f"Unknown provider {prefix!r} in model {model!r} (did you mean {meant!r}?); "
            f"provider prefixes are exact: `{meant}/{rest}`.",
            code="invalid_provider",
            param="model",
        )
    return None


def route(
    model: str,
    explicit: str | None,
    headers: Mapping[str, str],
    known_providers: Collection[str],
    reachable: Mapping[str, str | None],
    template_provider: str | None = None,
    tenant_default: str | None = None,
) -> Route:
    """`reachable` maps each provider the tenant has an active credential for to its `config.defaultModel`;
    `template_provider` is the provider a template filled in because the caller named none;
    `tenant_default` the tenant's default provider, for model names that no other rule places."""
    chosen = explicit or (headers.get(PROVIDER_HEADER) or "").strip() or None
    # A served-model name (`Mistral/Mistral-7B` on the user's own vLLM) is only a typo when nothing else
    # says where it goes: an explicit provider, or a credential whose defaultModel it is.
    named_elsewhere = chosen is not None or model in reachable.values()
    prefixed = split_prefix(model, known_providers, strict=not named_elsewhere, chosen=chosen)
    if chosen is not None:
        # `openai/gpt-4.1-mini` sent to openai loses its prefix; `openai/gpt-4o` sent to openrouter keeps it.
        return Route(chosen, prefixed[1] if prefixed and prefixed[0] == chosen else model, "explicit")
    if template_provider is not None and prefixed is None:
        # Only a default: a prefix in the caller's own model is a choice of provider and beats it.
        return Route(template_provider, model, "template")
    family = family_of(model)
    named = (
        Route(prefixed[0], prefixed[1], "prefix")
        if prefixed is not None
        else (Route(family, model, "family") if family is not None else None)
    )
    if named is not None and named.provider in reachable:
        return named
    defaults = sorted(provider for provider, default in reachable.items() if default == model)
    if len(defaults) == 1:
        return Route(defaults[0], model, "default_model")
    if named is not None:
        # The named provider has no credential: a tenant's only host of that family serves it instead
        # (Azure for gpt-*, Vertex for claude-*/gemini-*, OpenRouter for `openai/gpt-4o`).
        hosts = _HOSTS_BY_RULE[named.rule].get(named.provider, ())
        stand_ins = [provider for provider in hosts if provider in reachable]
        if len(stand_ins) == 1:
            return Route(stand_ins[0], model, "family_host")
        return named  # the credential check then names the provider, with a hint
    if tenant_default is not None and tenant_default in reachable and (not defaults or tenant_default in defaults):
        return Route(tenant_default, model, "tenant_default")
    if not defaults and len(reachable) == 1:
        return Route(next(iter(reachable)), model, "only_provider")
    raise _unroutable(model, defaults, sorted(reachable), tenant_default)


def _unroutable(model: str, defaults: list[str], reachable: list[str], tenant_default: str | None) -> InvalidRequest:
    from killtoken_proxy.gateway.model_hints import unroutable_message  # error path only; it reads the price table

    message = unroutable_message(model, defaults, reachable, PROVIDER_HEADER)
    if tenant_default is not None and tenant_default not in reachable:
        message += (
            f" (This tenant's default provider `{tenant_default}` would serve it, but it has no credential: "
            f"`kt credentials add {tenant_default}`.)"
        )
    return InvalidRequest(message, code="invalid_model", param="model")


def credential_hint(chosen: Route, reachable: Collection[str]) -> str:
    """Why an implicit route reached a provider without a credential, and how to pick another one."""
    if chosen.rule not in ("prefix", "family", "template") or not reachable:
        return ""
    why = (
        f"`{chosen.provider}` is the template's default provider (your own `provider` field wins over it)"
        if chosen.rule == "template"
        else f"Model {chosen.model!r} goes to `{chosen.provider}` by its name"
    )
    # Only providers that serve this model under this name: its family's hosts, or the user's own server.
    rule = "prefix" if chosen.rule == "prefix" else "family"
    servers = [*_HOSTS_BY_RULE[rule].get(chosen.provider, ()), "openai_compatible"]
    other = next((provider for provider in servers if provider in reachable), None)
    if other is None:
        return (
            f" {why}. You have credentials for {', '.join(sorted(reachable))}: if one of them serves this model, "
            f"name it with the `{PROVIDER_HEADER}` header or a `provider/model` prefix; else add one for "
            f"`{chosen.provider}`."
        )
    return (
        f" {why}; to send it to a provider you have a credential for "
        f"({', '.join(sorted(reachable))}), use the model `{other}/{chosen.model}` or the "
        f"`{PROVIDER_HEADER}: {other}` header."
    )
