"""Secrets by name, read from the backend once and then served from memory (no keyring per request)."""

from __future__ import annotations

import contextlib
import json
from typing import Any

from killtoken_proxy.errors import SecretsUnavailable
from killtoken_proxy.secrets.backend import SERVICE, BackendChoice


def credential_entry(credential_id: str) -> str:
    return f"credential:{credential_id}"


def tenant_key_entry(tenant_name: str) -> str:
    return f"tenant-key:{tenant_name}"


class SecretStore:
    def __init__(self, choice: BackendChoice) -> None:
        self._choice = choice
        self._memory: dict[str, str] = {}
        self._parsed: dict[str, dict[str, str]] = {}  # cached_json's answers, dropped when the secret changes

    @property
    def usable(self) -> bool:
        return self._choice.usable

    @property
    def description(self) -> str:
        return self._choice.description

    @property
    def problem(self) -> str | None:
        return self._choice.problem

    def require_usable(self) -> None:
        self._require()

    def _require(self) -> Any:
        if self._choice.backend is None:
            raise SecretsUnavailable(f"Secrets cannot be stored or read. {self._choice.problem}")
        return self._choice.backend

    def put(self, name: str, value: str) -> None:
        self._require().set_password(SERVICE, name, value)
        self._memory[name] = value
        self._parsed.pop(name, None)

    def get(self, name: str) -> str | None:
        if name in self._memory:
            return self._memory[name]
        if not self.usable:
            return None
        value: str | None = self._require().get_password(SERVICE, name)
        if value is not None:
            self._memory[name] = value
        return value

    def cached(self, name: str) -> str | None:
        """Memory only: the request path never reaches the keyring."""
        return self._memory.get(name)

    def delete(self, name: str) -> None:
        self._memory.pop(name, None)
        self._parsed.pop(name, None)
        if self.usable:
            # Already gone from the backend: nothing left to delete.
            with contextlib.suppress(Exception):
                self._require().delete_password(SERVICE, name)

    def put_json(self, name: str, value: dict[str, str]) -> None:
        self.put(name, json.dumps(value, separators=(",", ":")))

    def cached_json(self, name: str) -> dict[str, str] | None:
        parsed = self._parsed.get(name)
        if parsed is None:
            raw = self.cached(name)
            if raw is None:
                return None
            parsed = self._parsed[name] = json.loads(raw)
        return dict(parsed)  # a copy: a caller changing its credential's secrets must not change ours

    def preload(self, names: list[str]) -> list[str]:
        """Load these secrets into memory at startup; returns the names that could not be read."""
        missing = []
        for name in names:
            try:
                if self.get(name) is None:
                    missing.append(name)
            except Exception:
                missing.append(name)
        return missing
