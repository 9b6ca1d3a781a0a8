"""Turn client-side and gateway errors into one stderr message and a documented exit code."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from killtoken_cli.output import EXIT_ERROR, EXIT_SECRETS, EXIT_UNAVAILABLE, CliError, fail

_FIXES = {
    "provider_credential_required": "Add one with `kt credentials add <provider>`.",
    "tenant_not_resolved": "Then give `kt` the new key: `kt init --key kt_...` or KILLTOKEN_API_KEY.",
    "tenant_suspended": "An admin can lift it with `kt tenants resume <name>`.",
    "credential_not_found": "`kt credentials list` shows this tenant's credentials.",
    "admin_unauthorized": "Restart `kt serve` so it re-reads the admin token in its state folder.",
}


@contextmanager
def reported() -> Iterator[None]:
    from killtoken_cli.exceptions import KillTokenAPIError, KillTokenError

    try:
        yield
    except CliError as exc:
        fail(exc.message, exc.exit_code)
    except KillTokenAPIError as exc:
        fix = _FIXES.get(exc.code, "")
        code = EXIT_SECRETS if exc.code == "secrets_unavailable" else EXIT_ERROR
        fail(f"{exc.message} ({exc.code}) {fix}".strip(), code)
    except KillTokenError as exc:
        fail(str(exc))
    except OSError as exc:  # httpx transport errors are OSError subclasses only sometimes; see below
        fail(f"Cannot reach the KillToken daemon: {exc}", EXIT_UNAVAILABLE)
    except Exception as exc:
        import httpx

        if isinstance(exc, httpx.TransportError):
            fail(f"Cannot reach the KillToken daemon: {exc}. Is `kt serve` still running?", EXIT_UNAVAILABLE)
        raise
