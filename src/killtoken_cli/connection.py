"""Reach the gateway: over HTTP when a daemon runs (found via daemon.json), else in-process."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from typing import TYPE_CHECKING, TypeVar

from killtoken_cli.output import EXIT_UNAVAILABLE, EXIT_USAGE, CliError

if TYPE_CHECKING:
    from killtoken_cli.admin_client import KillTokenAdminClient
    from killtoken_cli.client import KillTokenClient
    from killtoken_proxy.settings import Settings

C = TypeVar("C", bound="KillTokenClient")


def load_settings() -> Settings:
    from killtoken_cli.output import fail
    from killtoken_proxy.settings import Settings

    try:
        return Settings.from_env()
    except ValueError as exc:  # a malformed KILLTOKEN_* tuning variable
        fail(str(exc), EXIT_USAGE)


def running_daemon_url(settings: Settings) -> str | None:
    from killtoken_proxy.server import read_daemon_file

    info = read_daemon_file(settings)
    if not info or not isinstance(info.get("pid"), int) or not isinstance(info.get("url"), str):
        return None
    try:
        os.kill(int(info["pid"]), 0)  # type: ignore[call-overload]
    except ProcessLookupError:
        return None  # stale file from a daemon that was killed hard
    except PermissionError:
        pass
    return str(info["url"])


NO_KEY_HELP = (
    "Give `kt` a tenant key: export KILLTOKEN_API_KEY=kt_..., or save one with `kt init --key kt_...` "
    "(a new key for a tenant: `kt keys create --tenant NAME`)."
)


def tenant_key(settings: Settings) -> str:
    """The CLI's own `kt_` key: KILLTOKEN_API_KEY, else `kt`'s saved key file, else the OS keyring/vault copy."""
    from_env = os.environ.get("KILLTOKEN_API_KEY", "").strip()
    if from_env:
        return from_env
    from killtoken_proxy.owner_file import read_owner_file

    saved = read_owner_file(settings.paths.cli_key_file)
    if saved:
        return saved
    from killtoken_proxy.secrets.backend import SERVICE, choose_backend
    from killtoken_proxy.secrets.secret_store import tenant_key_entry
    from killtoken_proxy.store.tenants import DEFAULT_TENANT

    if not settings.paths.main_db.exists():
        raise CliError("KillToken is not set up yet. Run `kt init` (or `kt serve`) once first.", EXIT_USAGE)
    choice = choose_backend(settings)
    key = choice.backend.get_password(SERVICE, tenant_key_entry(DEFAULT_TENANT)) if choice.backend else None
    if not key:
        vault_problem = f" ({choice.problem})" if choice.problem and settings.paths.vault_file.exists() else ""
        raise CliError(f"`kt` has no tenant key to call the gateway with{vault_problem}. {NO_KEY_HELP}", EXIT_USAGE)
    return str(key)


def admin_token(settings: Settings) -> str:
    """The local admin token; the daemon (or the in-process app) creates it when it opens the store."""
    from killtoken_proxy.admin_token import read_admin_token

    token = read_admin_token(settings.paths.admin_token_file)
    if token is None:
        raise CliError(
            f"No admin token at {settings.paths.admin_token_file}. Restart `kt serve` to create it.",
            EXIT_UNAVAILABLE,
        )
    return token


@contextmanager
def open_client(
    settings: Settings, client_class: type[C], credential: Callable[[], str], headers: Mapping[str, str] | None = None
) -> Iterator[C]:
    url = running_daemon_url(settings)
    if url is not None:
        with client_class(url, credential(), default_headers=headers) as client:
            yield client
        return
    from killtoken_cli.in_process import InProcessTransport
    from killtoken_proxy.app import create_app
    from killtoken_proxy.errors import StoreLocked

    try:
        transport = InProcessTransport(create_app(settings))
    except StoreLocked as exc:
        raise CliError(str(exc), EXIT_UNAVAILABLE) from None
    try:
        with client_class("http://kt.in-process", credential(), transport=transport, default_headers=headers) as client:
            yield client
    finally:
        transport.close()


def connect(settings: Settings | None = None, *, tenant: str | None = None) -> AbstractContextManager[KillTokenClient]:
    """A client authorised by the CLI's tenant key; with `tenant` (`--tenant NAME`), by the local admin token
    acting for that tenant, so an admin needs no key of each tenant."""
    from killtoken_cli.client import KillTokenClient

    settings = settings or load_settings()
    if tenant is not None:
        resolved = settings
        return open_client(resolved, KillTokenClient, lambda: admin_token(resolved), {"x-killtoken-tenant": tenant})
    key = tenant_key(settings)  # before starting anything: a missing key is the first thing to report
    return open_client(settings, KillTokenClient, lambda: key)


def connect_admin(settings: Settings | None = None) -> AbstractContextManager[KillTokenAdminClient]:
    """A client authorised by the local admin token, for `/v1/admin/...` (tenants, plans, keys)."""
    from killtoken_cli.admin_client import KillTokenAdminClient

    resolved = settings or load_settings()
    return open_client(resolved, KillTokenAdminClient, lambda: admin_token(resolved))
