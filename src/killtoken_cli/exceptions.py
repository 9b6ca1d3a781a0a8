"""The SDK's typed errors: one class per contract error code, grouped under one per HTTP status.

Every error the gateway answers carries `.status`, `.code` (the contract's code), `.message` and
`.request_id`; catch `KillTokenAPIError` for all of them, or a precise class such as `RateLimited`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class KillTokenError(Exception):
    """Base of everything this SDK raises (configuration problems included)."""


class KillTokenConnectionError(KillTokenError):
    """The gateway could not be reached (refused, reset, DNS): `.url` is where the client tried."""

    def __init__(self, message: str, url: str) -> None:
        super().__init__(message)
        self.url = url


class KillTokenTimeoutError(KillTokenConnectionError):
    """The gateway did not answer within the client's timeout."""


class KillTokenAPIError(KillTokenError):
    """An error answered by the gateway: HTTP status, the contract's `error` code, its message."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        request_id: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(f"{code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.request_id = request_id
        self.headers: Mapping[str, str] = headers or {}


class BadRequestError(KillTokenAPIError):
    """400: a request field is malformed (the message names it)."""


class InvalidModel(BadRequestError):
    pass


class InvalidMessages(BadRequestError):
    pass


class InvalidCachePolicy(BadRequestError):
    pass


class InvalidOptimizationMode(BadRequestError):
    pass


class CredentialRequired(BadRequestError):
    """400 `provider_credential_required`: store a credential for that provider first."""


class AuthenticationError(KillTokenAPIError):
    """401."""


class TenantNotResolved(AuthenticationError):
    """401 `tenant_not_resolved`: missing or wrong `kt_` key."""


class PlanLimitExceeded(KillTokenAPIError):
    """402 `plan_limit_exceeded`: the monthly request quota is used up (see `.limit`, `.used`, `.reset`)."""

    @property
    def plan(self) -> str | None:
        return self.headers.get("x-killtoken-plan")

    @property
    def limit(self) -> str | None:
        return self.headers.get("x-killtoken-plan-limit")

    @property
    def used(self) -> str | None:
        return self.headers.get("x-killtoken-plan-used")

    @property
    def reset(self) -> str | None:
        return self.headers.get("x-killtoken-plan-reset")


class PermissionDeniedError(KillTokenAPIError):
    """403."""


class TenantSuspended(PermissionDeniedError):
    pass


class NotFoundError(KillTokenAPIError):
    """404."""


class ConflictError(KillTokenAPIError):
    """409."""


class IdempotencyInProgress(ConflictError):
    """409 `idempotency_in_progress`: the first request with this idempotency key is still running."""


class UnprocessableEntityError(KillTokenAPIError):
    """422."""


class StreamingNotSupported(UnprocessableEntityError):
    """422 `streaming_not_supported`."""


class IdempotencyKeyReused(UnprocessableEntityError):
    """422 `idempotency_key_reused`: this idempotency key was used for a different request."""


class RateLimited(KillTokenAPIError):
    """429: KillToken's guardrail (`rate_limited`) or the provider's (`upstream_rate_limited`)."""

    @property
    def retry_after(self) -> float | None:
        """Seconds to wait, from `Retry-After`, when the answer said so."""
        try:
            return float(self.headers["retry-after"])
        except (KeyError, ValueError):
            return None


class NotImplementedByGateway(KillTokenAPIError):
    """501 `not_implemented`: an endpoint KillToken does not serve."""


class ServerError(KillTokenAPIError):
    """5xx from KillToken itself."""


class UpstreamError(KillTokenAPIError):
    """The provider failed, refused or could not be reached (`upstream_*` codes)."""


class UpstreamRateLimited(RateLimited, UpstreamError):
    pass


class ProviderAuthFailed(UpstreamError):
    """The provider rejected the stored credential: replace it with `kt credentials add`."""


_BY_CODE: dict[str, type[KillTokenAPIError]] = {
    "invalid_model": InvalidModel,
    "invalid_messages": InvalidMessages,
    "invalid_cache_policy": InvalidCachePolicy,
    "invalid_optimization_mode": InvalidOptimizationMode,
    "provider_credential_required": CredentialRequired,
    "tenant_not_resolved": TenantNotResolved,
    "plan_limit_exceeded": PlanLimitExceeded,
    "tenant_suspended": TenantSuspended,
    "streaming_not_supported": StreamingNotSupported,
    "idempotency_key_reused": IdempotencyKeyReused,
    "idempotency_in_progress": IdempotencyInProgress,
    "rate_limited": RateLimited,
    "not_implemented": NotImplementedByGateway,
    "upstream_rate_limited": UpstreamRateLimited,
    "provider_auth_failed": ProviderAuthFailed,
}
_BY_STATUS: dict[int, type[KillTokenAPIError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    402: PlanLimitExceeded,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableEntityError,
    429: RateLimited,
    501: NotImplementedByGateway,
}


def _code_and_message(body: Any, fallback: str) -> tuple[str, str]:
    """Both the contract's shape `{"error": code, "message"}` and OpenAI's `{"error": {"code", "message"}}`."""
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        body, error = error, error.get("code")
    message = body.get("message") if isinstance(body, dict) else None
    return (
        error if isinstance(error, str) else "http_error",
        message if isinstance(message, str) else fallback,
    )


def error_for(status: int, body: Any, headers: Mapping[str, str], text: str = "") -> KillTokenAPIError:
    code, message = _code_and_message(body, text[:300] or f"HTTP {status}")
    cls = (
        _BY_CODE.get(code)
        or (UpstreamError if code.startswith("upstream_") else None)
        or _BY_STATUS.get(status)
        or (ServerError if status >= 500 else KillTokenAPIError)
    )
    return cls(status, code, message, headers.get("x-killtoken-request-id"), headers)
