"""`kt serve` and `kt init`: run the daemon, or only create the default tenant and its key."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from killtoken_cli.output import EXIT_UNAVAILABLE, EXIT_USAGE, fail, info

if TYPE_CHECKING:
    from killtoken_proxy.settings import Settings


def _bootstrap(settings: object) -> str | None:
    """Create the default tenant on first run and show its key exactly once; returns why provider keys
    cannot be used (the text `GET /ready` gives), unless it was just said."""
    from rich.markup import escape

    from killtoken_proxy.bootstrap import ensure_default_tenant
    from killtoken_proxy.errors import StoreLocked
    from killtoken_proxy.runtime import Runtime

    runtime = Runtime(settings)  # type: ignore[arg-type]
    try:
        runtime.open()
    except StoreLocked as exc:
        fail(str(exc), EXIT_UNAVAILABLE)
    try:
        result = ensure_default_tenant(runtime)
    finally:
        runtime.close()
    if not result.created:
        return result.secrets_problem
    info("[bold green]Created tenant `default`.[/] Its API key (shown once, store it now):")
    typer.echo(result.key)
    if result.key_in_keyring:
        info("The key is also kept in your OS keyring for `kt`'s own use.")
    elif result.key_file is not None:
        info(f"`kt` keeps its own copy in {result.key_file} (readable by you only).")
    if result.secrets_problem:
        info(f"[yellow]Provider keys cannot be stored yet:[/] {escape(result.secrets_problem)}")
    return None


def _save_key(settings: Settings, key: str) -> None:
    """Check the key against the gateway, then keep it in kt's owner-only key file."""
    import sys

    from killtoken_cli.client import KillTokenClient
    from killtoken_cli.connection import open_client
    from killtoken_cli.errors import reported
    from killtoken_proxy.owner_file import write_owner_file

    if key == "-":
        key = sys.stdin.readline().strip()
    if not key.startswith("kt_"):
        fail("A tenant key starts with `kt_` (the key `kt serve`, `kt init` or `kt keys create` printed).", EXIT_USAGE)
    with reported(), open_client(settings, KillTokenClient, lambda: key) as client:
        owner = client.cache_stats()["tenant"]
    path = settings.paths.cli_key_file
    write_owner_file(path, key)
    info(f"Saved: `kt` now uses this key of tenant `{owner}` ({path}, readable by you only).")


def init(
    key: Annotated[
        str | None,
        typer.Option(
            "--key",
            help="Save this kt_ key for `kt`'s own use instead (`-` reads it from stdin); "
            "for machines without an OS keyring, or to switch tenant.",
        ),
    ] = None,
) -> None:
    """Create the default tenant and print its kt_ key, once. The daemon is not started."""
    from killtoken_cli.connection import load_settings, running_daemon_url

    settings = load_settings()
    if key is not None:
        _save_key(settings, key.strip())
        return
    url = running_daemon_url(settings)
    if url is not None:
        info(f"A KillToken daemon is already running at {url}; it is initialised.")
        return
    before = settings.paths.main_db.exists()
    _bootstrap(settings)
    if before:
        info("Already initialised: tenant `default` exists. Its key was shown when it was created.")


def _refuse_second_daemon(settings: Settings) -> None:
    """One daemon per store: say where the running one is instead of failing on its lock or its port."""
    from killtoken_cli.connection import running_daemon_url
    from killtoken_proxy.errors import StoreLocked
    from killtoken_proxy.server import read_daemon_file
    from killtoken_proxy.store.lock import StoreLock

    url = running_daemon_url(settings)
    if url is not None:
        pid = (read_daemon_file(settings) or {}).get("pid")
        fail(
            f"KillToken is already running at {url} (pid {pid}); use it, or stop it first (Ctrl-C in its "
            f"terminal, or `kill {pid}`). A second gateway needs its own KILLTOKEN_HOME and `kt serve --port N`.",
            EXIT_UNAVAILABLE,
        )
    lock = StoreLock(settings.paths.lock_file, settings.paths.daemon_file)
    try:
        lock.acquire()
    except StoreLocked as exc:
        fail(str(exc), EXIT_UNAVAILABLE)
    lock.release()


def serve(
    host: Annotated[
        str, typer.Option(help="Interface to bind. Loopback by default; others expose the gateway.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port to listen on.", min=1, max=65535)] = 8787,
    log_level: Annotated[
        str, typer.Option(metavar="LEVEL", help="uvicorn log level: critical, error, warning, info, debug.")
    ] = "info",
    access_log: Annotated[
        bool,
        typer.Option("--access-log", help="Log one line per request (off by default: it costs CPU on every call)."),
    ] = False,
) -> None:
    """Start the local gateway. Ctrl-C stops it and flushes the ledger."""
    from killtoken_cli.connection import load_settings
    from killtoken_proxy.server import PortInUse, check_port_free
    from killtoken_proxy.server import serve as run_server

    settings = load_settings().replace(host=host, port=port)
    _refuse_second_daemon(settings)  # before the port: a second daemon on another port could not open the store
    try:
        check_port_free(host, port)
    except PortInUse as exc:
        fail(str(exc), EXIT_UNAVAILABLE)
    problem = _bootstrap(settings)
    if problem:
        from rich.markup import escape

        # Otherwise only GET /ready would tell, and the first chat call would fail with it.
        info(f"[yellow]Warning: provider keys cannot be stored or read:[/] {escape(problem)}")
    if host not in ("127.0.0.1", "localhost", "::1"):
        info(f"[yellow]Listening on {host}: anyone who can reach this port and holds a kt_ key can use it.[/]")
    info(f"KillToken listening on [bold]{settings.url}[/]  (OpenAI SDK base_url: {settings.url}/v1/openai)")
    if not run_server(settings, log_level=log_level, access_log=access_log):
        fail("The daemon did not start; see the log above.", EXIT_UNAVAILABLE)
    info("KillToken stopped; ledger flushed.")
