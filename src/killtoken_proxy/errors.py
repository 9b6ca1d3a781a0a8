"""One error hierarchy: every failure the gateway reports carries an HTTP status and the spec's code."""

from __future__ import annotations


class KillTokenError(Exception):
    """An error the gateway answers with; `code` is the contract's machine-readable code."""

    status: int = 400
    code: str = "invalid_request"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        status: int | None = None,
        headers: dict[str, str] | None = None,
        param: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        self.headers = headers or {}
        self.param = param


class InvalidRequest(KillTokenError):
    status = 400
    code = "invalid_request"


class CredentialRequired(KillTokenError):
    status = 400
    code = "provider_credential_required"


class TenantNotResolved(KillTokenError):
    status = 401
    code = "tenant_not_resolved"


class NotFound(KillTokenError):
    status = 404
    code = "not_found"


class StreamingNotSupported(KillTokenError):
    status = 422
    code = "streaming_not_supported"


class NotImplementedYet(KillTokenError):
    status = 501
    code = "not_implemented"


class SecretsUnavailable(KillTokenError):
    status = 503
    code = "secrets_unavailable"


class UpstreamError(KillTokenError):
    """The provider answered with an error, garbage, or not at all."""

    status = 502
    code = "upstream_error"


class StoreLocked(Exception):
    """Another process (normally the running daemon) holds the single-writer lock on the store."""
