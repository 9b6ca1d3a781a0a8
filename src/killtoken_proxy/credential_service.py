"""Adding, changing, listing and removing provider credentials: secrets to the secret store, metadata to TinyDB."""

from __future__ import annotations

import builtins
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import urlparse

from killtoken_proxy.errors import InvalidRequest, NotFound, SecretsUnavailable
from killtoken_proxy.labels import parse_label
from killtoken_proxy.near_miss import did_you_mean
from killtoken_proxy.providers.base import Credential, CredentialShape, ProviderAdapter
from killtoken_proxy.secrets.secret_store import SecretStore, credential_entry
from killtoken_proxy.store.credentials import CredentialMeta, CredentialStore

UPDATABLE = ("apiKey", "secrets", "label", "config", "status")
STATUSES = ("active", "inactive")


def _invalid(message: str, param: str | None = None) -> InvalidRequest:
    return InvalidRequest(message, code="invalid_credential", param=param)


def _secrets_from(body: Mapping[str, Any], shape: CredentialShape, provider: str) -> dict[str, str]:
    given = body.get("secrets")
    if given is None:
        given = {"apiKey": body["apiKey"]} if "apiKey" in body else {}
    if not isinstance(given, dict):
        raise _invalid("`secrets` must be an object.", "secrets")
    allowed = shape.secret_fields + shape.optional_secret_fields
    unknown = sorted(set(given) - set(allowed))
    if unknown:
        raise _invalid(
            f"A {provider} credential has no secret field(s) {', '.join(unknown)}; expected {', '.join(allowed)}.",
            "secrets",
        )
    secrets: dict[str, str] = {}
    for name in allowed:
        value = given.get(name)
        if value in (None, "") and name in shape.optional_secret_fields:
            continue
        where = "apiKey" if shape.secret_fields == ("apiKey",) else f"secrets.{name}"
        if not isinstance(value, str) or not value.strip():
            raise _invalid(f"A {provider} credential needs `{where}` (a non-empty string).", where)
        secrets[name] = _header_safe(value.strip(), name, where)
    return secrets


# PEM keys span lines; they are signed with, never sent in a header.
_MULTILINE_SECRETS = frozenset({"privateKey"})


def _header_safe(value: str, name: str, where: str) -> str:
    """Secrets travel in HTTP headers: a stray non-ASCII, space or control character (a copy-paste slip)
    would break every call later, so it is refused now. The message never shows the value."""
    allowed_space = name in _MULTILINE_SECRETS
    for position, char in enumerate(value, 1):
        if not ("!" <= char <= "~" or (allowed_space and char in " \t\r\n")):
            kind = "a non-ASCII" if not char.isascii() else "a whitespace or control"
            raise _invalid(
                f"`{where}` has {kind} character at position {position}; provider secrets are printable "
                "ASCII without spaces. Copy the key again from the provider's console.",
                where,
            )
    return value


def _same_setting(a: Any, b: Any) -> bool:
    if isinstance(a, str) and isinstance(b, str):
        return a.strip().rstrip("/") == b.strip().rstrip("/")
    return bool(a == b)


def _stand_ins_renamed(config: Mapping[str, Any], shape: CredentialShape, *, stored: bool = False) -> dict[str, Any]:
    """`config` with each stand-in under the name of the field it stands for (openai_compatible's `endpoint`
    as `baseUrl`), so routing, the adapter and the cache key see one name. Both given and different is 400;
    in a `stored` config (saved before stand-ins were merged) `baseUrl` wins, as it did in the adapter."""
    renamed = dict(config)
    for name, stand_in in shape.stand_ins.items():
        if stand_in not in renamed:
            continue
        value = renamed.pop(stand_in)
        if renamed.get(name) is None:
            renamed[name] = value
        elif value is not None and not _same_setting(renamed[name], value):
            if stored:
                if stand_in == "baseUrl":
                    renamed[name] = value
                continue
            raise _invalid(
                f"`config.{name}` and `config.{stand_in}` are two names for one setting and they differ; "
                "give only one.",
                f"config.{stand_in}",
            )
    return renamed


def _config_from(body: Mapping[str, Any], shape: CredentialShape, provider: str) -> dict[str, Any]:
    config = body.get("config") or {}
    if not isinstance(config, dict):
        raise _invalid("`config` must be an object.", "config")
    _check_urls(config)
    config = _stand_ins_renamed(config, shape)
    unknown = sorted(set(config) - set(shape.config_fields))
    if unknown:
        raise _invalid(
            f"A {provider} credential has no config field(s) {', '.join(unknown)}; "
            f"allowed: {', '.join(shape.config_fields)}.",
            "config",
        )
    for name in shape.required_config:
        stand_in = shape.stand_ins.get(name)
        if not isinstance(config.get(name), str) or not config[name].strip():
            also = f" (or `config.{stand_in}`)" if stand_in else ""
            raise _invalid(f"A {provider} credential needs `config.{name}`{also}.", f"config.{name}")
    return {k: v.strip() if isinstance(v, str) else v for k, v in config.items()}


def _check_urls(config: Mapping[str, Any]) -> None:
    """Before stand-ins are renamed, so that the error names the field the caller sent."""
    for name in ("baseUrl", "endpoint", "tokenUri"):
        if config.get(name) is not None:
            try:
                parsed = urlparse(str(config[name]))
            except ValueError:  # e.g. an unclosed IPv6 bracket: `http://[::1/v1`
                parsed = urlparse("")
            if parsed.scheme not in ("http", "https") or not parsed.netloc:
                raise _invalid(f"`config.{name}` must be an http(s) URL such as https://host/v1.", f"config.{name}")


def _label_from(body: Mapping[str, Any], default: str) -> str:
    return parse_label(body.get("label") or default, "label", code="invalid_credential")


def _merged_config(current: Mapping[str, Any], patch: Any, shape: CredentialShape) -> dict[str, Any]:
    """JSON merge patch (RFC 7396) of the config: given keys replace, `null` removes a key; a stand-in in
    either side counts as the field it stands for (so `endpoint` replaces a stored `baseUrl`)."""
    if not isinstance(patch, dict):
        raise _invalid("`config` must be an object.", "config")
    _check_urls(patch)
    merged = {**_stand_ins_renamed(current, shape, stored=True), **_stand_ins_renamed(patch, shape)}
    return {k: v for k, v in merged.items() if v is not None}


def _last4(secrets: dict[str, str]) -> str:
    primary = next(iter(secrets.values()), "")
    # Showing 4 characters of a short secret would give away too much of it.
    return primary[-4:] if len(primary) >= 16 else ""


class CredentialService:
    def __init__(self, store: CredentialStore, secrets: SecretStore, adapters: Mapping[str, ProviderAdapter]) -> None:
        self._store = store
        self._secrets = secrets
        self._adapters = adapters

    def _adapter(self, provider: Any) -> ProviderAdapter:
        if isinstance(provider, str) and provider in self._adapters:
            return self._adapters[provider]
        got = f"; got {provider!r}{did_you_mean(provider, self._adapters)}" if isinstance(provider, str) else ""
        raise InvalidRequest(
            f"`provider` must be one of {', '.join(sorted(self._adapters))}{got}.",
            code="invalid_provider",
            param="provider",
        )

    def add(self, tenant_id: str, body: Any) -> CredentialMeta:
        if not isinstance(body, dict):
            raise InvalidRequest("The request body must be a JSON object.")
        provider = body.get("provider")
        adapter = self._adapter(provider)
        secrets = _secrets_from(body, adapter.credential_shape, adapter.name)
        config = _config_from(body, adapter.credential_shape, adapter.name)
        if adapter.credential_shape.check is not None:
            adapter.credential_shape.check(secrets, config)
        label = _label_from(body, adapter.name)
        self._secrets.require_usable()
        meta = self._store.add(tenant_id, adapter.name, label=label, last4=_last4(secrets), config=config)
        try:
            self._secrets.put_json(credential_entry(meta.id), secrets)
        except Exception:
            self._store.remove(meta)
            raise
        return meta

    def update(self, tenant_id: str, credential_id: str, body: Any) -> CredentialMeta:
        """Rotate the secret, change label or config, activate or deactivate; the next request sees it."""
        meta = self.get(tenant_id, credential_id)
        if not isinstance(body, dict):
            raise InvalidRequest("The request body must be a JSON object.")
        unknown = sorted(set(body) - set(UPDATABLE))
        if unknown:
            raise _invalid(
                f"{', '.join(unknown)} cannot be changed (a credential keeps its provider: add a new one "
                f"instead); updatable: {', '.join(UPDATABLE)}.",
                unknown[0],
            )
        adapter = self._adapter(meta.provider)
        changes: dict[str, Any] = {}
        if "label" in body:
            changes["label"] = _label_from(body, adapter.name)
        if "config" in body:
            merged = _merged_config(meta.config, body["config"], adapter.credential_shape)
            changes["config"] = _config_from({"config": merged}, adapter.credential_shape, adapter.name)
        if "status" in body:
            if body["status"] not in STATUSES:
                raise _invalid(f"`status` must be one of {', '.join(STATUSES)}.", "status")
            changes["status"] = body["status"]
        if "apiKey" in body or "secrets" in body:
            secrets = _secrets_from(body, adapter.credential_shape, adapter.name)
            if adapter.credential_shape.check is not None:
                adapter.credential_shape.check(secrets, changes.get("config", meta.config))
            self._secrets.require_usable()
            # Replaces the in-memory copy too: the very next request sends the new secret.
            self._secrets.put_json(credential_entry(meta.id), secrets)
            changes["last4"] = _last4(secrets)
        return self._store.update(meta, **changes) if changes else meta

    def remove(self, tenant_id: str, credential_id: str) -> None:
        meta = self.get(tenant_id, credential_id)
        self._secrets.delete(credential_entry(meta.id))
        self._store.remove(meta)

    def get(self, tenant_id: str, credential_id: str) -> CredentialMeta:
        meta = self._store.get(tenant_id, credential_id)
        if meta is None:
            raise NotFound(f"No provider credential {credential_id!r} in this tenant.", code="credential_not_found")
        return meta

    def list(self, tenant_id: str) -> builtins.list[CredentialMeta]:
        return self._store.list(tenant_id)

    def providers_of(self, tenant_id: str) -> set[str]:
        return set(self.reachable(tenant_id))

    def reachable(self, tenant_id: str) -> dict[str, CredentialMeta]:
        """Each provider this tenant can call, with the credential a call would use (the newest active one)."""
        return dict(self._store.reachable(tenant_id))

    def default_models(self, tenant_id: str) -> Mapping[str, str | None]:
        """Each reachable provider's `config.defaultModel` (routing's last rule); a view, built per tenant once."""
        return _DefaultModels(self._store.reachable(tenant_id))

    def active(self, tenant_id: str, provider: str) -> Credential | None:
        """The credential the request path uses; secrets come from memory only."""
        meta = self._store.active_for(tenant_id, provider)
        return None if meta is None else self._with_secrets(meta)

    def credential(self, tenant_id: str, credential_id: str) -> Credential:
        """Any of the tenant's credentials, active or not, ready for an adapter (for a live test)."""
        return self._with_secrets(self.get(tenant_id, credential_id))

    def _with_secrets(self, meta: CredentialMeta) -> Credential:
        secrets = self._secrets.cached_json(credential_entry(meta.id))
        if secrets is None:
            raise SecretsUnavailable(self._unreadable(meta))
        return Credential(id=meta.id, provider=meta.provider, secrets=secrets, config=meta.config)

    def _unreadable(self, meta: CredentialMeta) -> str:
        """Why a credential's secret is not in memory, and what fixes it (the daemon or an in-process `kt`)."""
        what = f"The secret of credential {meta.id} ({meta.provider})"
        if not self._secrets.usable:
            return f"{what} cannot be read: {self._secrets.problem}"  # the store's problem says what to set
        return (
            f"{what} was not in {self._secrets.description} when KillToken opened its store. If that store was "
            "locked or unavailable then, restart `kt serve` (or run `kt` again when no daemon is running) once "
            f"it is available; if the secret is gone, store it again with `kt credentials update {meta.id} --rotate`."
        )

    def preload_secrets(self) -> builtins.list[str]:
        return self._secrets.preload([credential_entry(m.id) for m in self._store.all()])


class _DefaultModels(Mapping[str, "str | None"]):
    """Read lazily: most requests are routed by name and never look at the defaults."""

    def __init__(self, reachable: Mapping[str, CredentialMeta]) -> None:
        self._reachable = reachable

    def __getitem__(self, provider: str) -> str | None:
        return self._reachable[provider].config.get("defaultModel")

    def __iter__(self) -> Iterator[str]:
        return iter(self._reachable)

    def __len__(self) -> int:
        return len(self._reachable)
