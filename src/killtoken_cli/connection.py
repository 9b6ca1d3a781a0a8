"""Reach the gateway: over HTTP when a daemon runs (found via daemon.json), else in-process."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import TYPE_CHECKING, TypeVar

from killtoken_cli.output import EXIT_SECRETS, EXIT_UNAVAILABLE, CliError

if TYPE_CHECKING:
    from killtoken_cli.admin_client import KillTokenAdminClient
    from killtoken_cli.client import KillTokenClient
    from killtoken_proxy.settings import Settings

C = TypeVar("C", bound="KillTokenClient")


def load_settings() -> Settings:
    from killtoken_cli.output import EXIT_USAGE, fail
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


def tenant_key(settings: Settings) -> str:
    """The CLI's own `kt_` key: KILLTOKEN_API_KEY, else the one `kt init` stored in the secret store."""
    from_env = os.environ.get("KILLTOKEN_API_KEY", "").strip()
    if from_env:
        return from_env
    from killtoken_proxy.secrets.backend import SERVICE, choose_backend
    from killtoken_proxy.secrets.secret_store import tenant_key_entry
    from killtoken_proxy.store.tenants import DEFAULT_TENANT

    choice = choose_backend(settings)
    if choice.backend is None:
        raise CliError(
            f"The CLI cannot read its tenant key. {choice.problem} "
            "Alternatively set KILLTOKEN_API_KEY to the kt_ key `kt init` printed.",
            EXIT_SECRETS,
        )
    key = choice.backend.get_password(SERVICE, tenant_key_entry(DEFAULT_TENANT))
    if not key:
        raise CliError(
            "No tenant key found. Run `kt init` (or `kt serve`) once to create the default tenant, "
            "or set KILLTOKEN_API_KEY to your kt_ key.",
            EXIT_SECRETS,
        )
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
def _open(settings: Settings, client_class: type[C], credential: Callable[[], str]) -> Iterator[C]:
    url = running_daemon_url(settings)
    if url is not None:
        with client_class(url, credential()) as client:
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
        with client_class("http://kt.in-process", credential(), transport=transport) as client:
            yield client
    finally:
        transport.close()


def connect(settings: Settings | None = None) -> AbstractContextManager[KillTokenClient]:
    """A client authorised by the CLI's tenant key."""
    from killtoken_cli.client import KillTokenClient

    settings = settings or load_settings()
    key = tenant_key(settings)  # before starting anything: a missing key is the first thing to report
    return _open(settings, KillTokenClient, lambda: key)


def connect_admin(settings: Settings | None = None) -> AbstractContextManager[KillTokenAdminClient]:
    """A client authorised by the local admin token, for `/v1/admin/...` (tenants, plans, keys)."""
    from killtoken_cli.admin_client import KillTokenAdminClient

    resolved = settings or load_settings()
    return _open(resolved, KillTokenAdminClient, lambda: admin_token(resolved))
