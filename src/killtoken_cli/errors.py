"""Turn client-side and gateway errors into one stderr message and a documented exit code."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from killtoken_cli.output import EXIT_ERROR, EXIT_SECRETS, EXIT_UNAVAILABLE, CliError, fail

# Fixes the gateway's own message does not already name (provider_credential_required names its command).
_FIXES = {
    "tenant_not_resolved": "Then give `kt` the new key: `kt init --key kt_...` or KILLTOKEN_API_KEY.",
    "credential_not_found": "`kt credentials list` shows this tenant's credentials.",
    "request_not_found": "`kt requests list` shows this tenant's requests.",
    "admin_unauthorized": "Restart `kt serve` so it re-reads the admin token in its state folder.",
}


@contextmanager
def reported(reword: Callable[[str], str] | None = None) -> Iterator[None]:
    """`reword` adapts a gateway message written for HTTP clients to the command line."""
    import socket

    from killtoken_cli.exceptions import KillTokenAPIError, KillTokenConnectionError, KillTokenError

    try:
        yield
    except CliError as exc:
        fail(exc.message, exc.exit_code)
    except KillTokenAPIError as exc:
        fix = _FIXES.get(exc.code, "")
        code = EXIT_SECRETS if exc.code == "secrets_unavailable" else EXIT_ERROR
        message = reword(exc.message) if reword else exc.message
        fail(f"{message} ({exc.code}) {fix}".strip(), code)
    except KillTokenConnectionError as exc:
        fail(f"{exc} Start it with `kt serve` (`--port N` for another port).", EXIT_UNAVAILABLE)
    except KillTokenError as exc:
        fail(str(exc))
    except BrokenPipeError:
        raise  # our stdout was closed (`kt ... | head`), not the daemon's socket: `main.run` stops quietly
    except (ConnectionError, TimeoutError, socket.gaierror) as exc:  # raw socket errors httpx did not wrap
        fail(_unreachable(exc), EXIT_UNAVAILABLE)
    except OSError as exc:  # a local file or disk (`--out FILE`): its own message names the path
        fail(str(exc))
    except Exception as exc:
        import httpx

        if isinstance(exc, httpx.TransportError):
            fail(_unreachable(exc), EXIT_UNAVAILABLE)
        raise


def _unreachable(exc: Exception) -> str:
    """Name the address that was tried, so a wrong port or a stopped daemon is obvious."""
    try:
        url = exc.request.url  # type: ignore[attr-defined]
        where = f" at {url.scheme}://{url.netloc.decode()}"
    except (AttributeError, RuntimeError):
        where = ""
    return (
        f"Cannot reach the KillToken daemon{where}: {exc or type(exc).__name__}. Is `kt serve` running "
        "there? Start it with `kt serve` (`--port N` for another port)."
    )
