"""First run: create the `default` tenant and hand its `kt_` key out exactly once."""

from __future__ import annotations

from dataclasses import dataclass

from killtoken_proxy.runtime import Runtime
from killtoken_proxy.secrets.secret_store import tenant_key_entry
from killtoken_proxy.store.tenants import DEFAULT_TENANT


@dataclass(frozen=True)
class Bootstrap:
    created: bool
    key: str | None  # the plaintext key, only when just created
    key_in_keyring: bool
    secrets_problem: str | None


def ensure_default_tenant(runtime: Runtime) -> Bootstrap:
    if runtime.tenants.by_name(DEFAULT_TENANT) is not None:
        return Bootstrap(False, None, False, runtime.secrets.problem)
    _tenant, key = runtime.tenants.create(DEFAULT_TENANT)
    stored = False
    if runtime.secrets.usable:
        runtime.secrets.put(tenant_key_entry(DEFAULT_TENANT), key)
        stored = True
    return Bootstrap(True, key, stored, runtime.secrets.problem)
