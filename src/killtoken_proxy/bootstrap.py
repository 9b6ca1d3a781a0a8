"""First run: create the `default` tenant and hand its `kt_` key out exactly once."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from killtoken_proxy.owner_file import write_owner_file
from killtoken_proxy.runtime import Runtime
from killtoken_proxy.secrets.secret_store import tenant_key_entry
from killtoken_proxy.store.tenants import DEFAULT_TENANT


@dataclass(frozen=True)
class Bootstrap:
    created: bool
    key: str | None  # the plaintext key, only when just created
    key_in_keyring: bool
    secrets_problem: str | None
    key_file: Path | None = None  # where `kt`'s copy went when no OS keyring holds it


def ensure_default_tenant(runtime: Runtime) -> Bootstrap:
    if runtime.tenants.by_name(DEFAULT_TENANT) is not None:
        return Bootstrap(False, None, False, runtime.secrets.problem)
    _tenant, key = runtime.tenants.create(DEFAULT_TENANT)
    stored = False
    if runtime.secrets.usable:
        runtime.secrets.put(tenant_key_entry(DEFAULT_TENANT), key)
        stored = True
    key_file = None
    if not stored or runtime.settings.master_key:
        # The vault opens only with KILLTOKEN_MASTER_KEY, which a `kt` run in another shell usually lacks
        # (the headless dead end): kt's copy also goes to an owner-only file, as the admin token does.
        key_file = runtime.settings.paths.cli_key_file
        write_owner_file(key_file, key)
    return Bootstrap(True, key, stored and not runtime.settings.master_key, runtime.secrets.problem, key_file)
