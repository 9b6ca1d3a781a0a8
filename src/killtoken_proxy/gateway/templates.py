"""Prompt templates: validate, version, look up (by id or name) and expand into a chat request body.

Expansion runs before the door parses the body, so a template's provider and model take part in routing
and in the stored-credential check as if the caller had sent them; a provider the template fills in
ranks below a `provider/model` prefix in the caller's own model (see `TemplateUse.filled`).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace
from typing import Any

from killtoken_proxy.errors import InvalidRequest, KillTokenError, NotFound
from killtoken_proxy.gateway import request_fields as fields
from killtoken_proxy.gateway.routing import PROVIDER_HEADER, split_prefix
from killtoken_proxy.gateway.template_render import parse_variables, render, variables_of
from killtoken_proxy.store.templates import Template, TemplateStore, TemplateVersion

NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,79}")
DESCRIPTION_MAX_CHARS = 500
DEFAULTS = ("provider", "model", "optimizationMode", "cachePolicy")
VERSION_FIELDS = ("messages", "description", *DEFAULTS)


@dataclass(frozen=True)
class TemplateUse:
    """Which template (and version) a chat request was built from: for metrics, the ledger and reports."""

    id: str
    name: str
    version: int
    # The defaults the template filled in because the caller sent none: routing ranks a filled-in provider
    # below a `provider/model` prefix in the caller's own model. Not in the JSON (metrics name the template).
    filled: frozenset[str] = frozenset()

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "version": self.version}


def _invalid(message: str, param: str | None = None) -> InvalidRequest:
    return InvalidRequest(message, code="invalid_template", param=param)


def public(template: Template, version: TemplateVersion | None = None) -> dict[str, Any]:
    shown = version or template.latest
    return {
        "id": template.id,
        "name": template.name,
        "version": shown.version,
        "latestVersion": template.latest.version,
        "description": shown.fields.get("description"),
        "messages": shown.messages,
        "variables": variables_of(shown.fields["messages"]),
        **{key: shown.fields.get(key) for key in DEFAULTS},
        "createdAt": template.created_at,
        "versionCreatedAt": shown.created_at,
    }


class TemplateService:
    def __init__(self, store: TemplateStore, providers: Collection[str]) -> None:
        self._store = store
        self._providers = providers

    # -- management ---------------------------------------------------------------------------------
    def create(self, tenant_id: str, body: Any) -> Template:
        body = fields.require_object(body)
        name = self._name(tenant_id, body.get("name"))
        return self._store.add(tenant_id, name, self._version_fields(body, {}))

    def update(self, tenant_id: str, ref: str, body: Any) -> Template:
        """Every PATCH makes a new version from the latest one plus the fields given (null clears a default)."""
        body = fields.require_object(body)
        template = self.get(tenant_id, ref)
        name = None
        if "name" in body and body["name"] != template.name:
            name = self._name(tenant_id, body["name"])
        return self._store.add_version(template, self._version_fields(body, template.latest.fields), name=name)

    def remove(self, tenant_id: str, ref: str) -> None:
        self._store.remove(self.get(tenant_id, ref))

    def of_tenant(self, tenant_id: str) -> list[Template]:
        return self._store.list(tenant_id)

    def get(self, tenant_id: str, ref: Any) -> Template:
        """By `tpl_` id or by name; another tenant's template does not exist for this one."""
        template = None
        if isinstance(ref, str):
            template = self._store.get(tenant_id, ref) or self._store.by_name(tenant_id, ref)
        if template is None:
            raise NotFound(
                f"No template {ref!r} in this tenant. `kt templates list` shows them.", code="template_not_found"
            )
        return template

    def version(self, template: Template, number: Any) -> TemplateVersion:
        if number is None:
            return template.latest
        found = template.version(number) if isinstance(number, int) and not isinstance(number, bool) else None
        if found is None:
            raise NotFound(
                f"Template `{template.name}` has versions 1 to {template.latest.version}; not {number!r}.",
                code="template_version_not_found",
            )
        return found

    def render(self, tenant_id: str, ref: Any, number: Any, variables: Any) -> tuple[TemplateUse, list[dict[str, Any]]]:
        template = self.get(tenant_id, ref)
        version = self.version(template, number)
        label = f"`{template.name}` v{version.version}"
        return TemplateUse(template.id, template.name, version.version), render(
            label, version.messages, parse_variables(variables)
        )

    # -- chat requests ------------------------------------------------------------------------------
    def expand(
        self, tenant_id: str, body: dict[str, Any], headers: Mapping[str, str]
    ) -> tuple[dict[str, Any], TemplateUse | None]:
        """A chat body naming a template becomes the full body: template messages first, then the caller's;
        the caller's fields (and headers) win over the template's defaults."""
        ref = body.get("template")
        if ref is None:
            if body.get("variables") is not None:
                raise _invalid("`variables` needs `template` (a template id or name).", "variables")
            # Explicit nulls are ours too: they must not reach the provider as unknown parameters.
            return {k: v for k, v in body.items() if k not in ("template", "variables")}, None
        if isinstance(ref, dict):
            unknown = sorted(set(ref) - {"id", "name", "version"})
            if unknown or ("id" in ref) == ("name" in ref):
                raise _invalid('`template` is an id or a name, or {"id" | "name": ..., "version": N}.', "template")
            ref_key, number = ref.get("id", ref.get("name")), ref.get("version")
        else:
            ref_key, number = ref, None
        use, messages = self.render(tenant_id, ref_key, number, body.get("variables"))
        version = self.version(self.get(tenant_id, use.id), use.version)
        out = {k: v for k, v in body.items() if k not in ("template", "variables")}
        extra = body.get("messages")
        out["messages"] = messages + extra if isinstance(extra, list) else (messages if extra is None else extra)
        explicit = {
            "provider": out.get("provider") is not None or bool(headers.get(PROVIDER_HEADER)),
            "model": out.get("model") is not None,
            "optimizationMode": out.get("optimizationMode") is not None or bool(headers.get(fields.MODE_HEADER)),
            "cachePolicy": out.get("cachePolicy") is not None,
        }
        filled = frozenset(key for key in DEFAULTS if not explicit[key] and version.fields.get(key) is not None)
        for key in filled:
            out[key] = version.fields[key]
        return out, replace(use, filled=filled)

    # -- validation ---------------------------------------------------------------------------------
    def _name(self, tenant_id: str, value: Any) -> str:
        if not isinstance(value, str) or not NAME.fullmatch(value) or value.startswith("tpl_"):
            raise _invalid(
                "`name` is required: 1-80 letters, digits, dots, dashes or underscores, not starting with `tpl_`.",
                "name",
            )
        if self._store.by_name(tenant_id, value) is not None:
            raise KillTokenError(
                f"A template named `{value}` already exists; change it with PATCH /v1/templates/{value} "
                f"(`kt templates edit {value}`).",
                code="template_name_taken",
                status=409,
                param="name",
            )
        return value

    def _version_fields(self, body: dict[str, Any], previous: dict[str, Any]) -> dict[str, Any]:
        unknown = sorted(set(body) - {"name", *VERSION_FIELDS})
        if unknown:
            raise _invalid(f"Unknown template field(s): {', '.join(unknown)}.", unknown[0])
        merged = {**previous, **{k: body[k] for k in VERSION_FIELDS if k in body}}
        merged["messages"] = fields.parse_messages(merged.get("messages"))
        description = merged.get("description")
        if description is not None and (not isinstance(description, str) or len(description) > DESCRIPTION_MAX_CHARS):
            raise _invalid(
                f"`description` must be a string of at most {DESCRIPTION_MAX_CHARS} characters.", "description"
            )
        provider = merged.get("provider")
        if provider is not None and provider not in self._providers:
            raise InvalidRequest(
                f"`provider` must be one of {', '.join(sorted(self._providers))}.",
                code="invalid_provider",
                param="provider",
            )
        if merged.get("model") is not None:
            merged["model"] = fields.parse_model(merged["model"])
            # A misspelt provider prefix fails now, not at each use (as routing would judge it).
            split_prefix(merged["model"], self._providers, strict=provider is None, chosen=provider)
        if merged.get("optimizationMode") is not None:
            merged["optimizationMode"] = fields.parse_optimization_mode(merged["optimizationMode"], {})
        fields.parse_cache_policy(merged.get("cachePolicy"))
        return {k: v for k, v in merged.items() if v is not None}
