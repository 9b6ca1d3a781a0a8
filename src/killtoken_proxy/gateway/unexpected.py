"""A bug on the request path: log its traceback (secrets scrubbed) and answer 500 `internal_error`."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Iterable

from killtoken_proxy.errors import KillTokenError
from killtoken_proxy.gateway.redaction import redact

log = logging.getLogger("killtoken")


def internal_error(request_id: str, exc: BaseException, secrets: Iterable[str]) -> KillTokenError:
    """The error the caller gets; the traceback goes to the log only (exception texts can quote secrets)."""
    trace = redact("".join(traceback.format_exception(exc)), secrets)
    log.error("unexpected error in request %s\n%s", request_id, trace)
    return KillTokenError(
        f"Internal error in KillToken (request {request_id}); the daemon's log has the details.",
        code="internal_error",
        status=500,
    )
