"""The `kt` command and the KillToken Python SDK (`KillTokenClient`, `AsyncKillTokenClient`, typed errors)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from killtoken_cli.exceptions import (
    AuthenticationError,
    BadRequestError,
    ConflictError,
    CredentialRequired,
    IdempotencyInProgress,
    IdempotencyKeyReused,
    InvalidCachePolicy,
    InvalidMessages,
    InvalidModel,
    InvalidOptimizationMode,
    KillTokenAPIError,
    KillTokenConnectionError,
    KillTokenError,
    KillTokenTimeoutError,
    NotFoundError,
    NotImplementedByGateway,
    PermissionDeniedError,
    PlanLimitExceeded,
    ProviderAuthFailed,
    RateLimited,
    ServerError,
    StreamingNotSupported,
    TenantNotResolved,
    TenantSuspended,
    UnprocessableEntityError,
    UpstreamError,
    UpstreamRateLimited,
)

if TYPE_CHECKING:
    from killtoken_cli.client import AsyncKillTokenClient, ChatResult, KillTokenClient

_FROM_CLIENT = ("AsyncKillTokenClient", "ChatResult", "KillTokenClient")

__all__ = [
    "AsyncKillTokenClient",
    "AuthenticationError",
    "BadRequestError",
    "ChatResult",
    "ConflictError",
    "CredentialRequired",
    "IdempotencyInProgress",
    "IdempotencyKeyReused",
    "InvalidCachePolicy",
    "InvalidMessages",
    "InvalidModel",
    "InvalidOptimizationMode",
    "KillTokenAPIError",
    "KillTokenClient",
    "KillTokenConnectionError",
    "KillTokenError",
    "KillTokenTimeoutError",
    "NotFoundError",
    "NotImplementedByGateway",
    "PermissionDeniedError",
    "PlanLimitExceeded",
    "ProviderAuthFailed",
    "RateLimited",
    "ServerError",
    "StreamingNotSupported",
    "TenantNotResolved",
    "TenantSuspended",
    "UnprocessableEntityError",
    "UpstreamError",
    "UpstreamRateLimited",
]


def __getattr__(name: str) -> Any:
    # The SDK client pulls in httpx (~100 ms); `kt --help` and commands that never call the API skip it.
    if name in _FROM_CLIENT:
        from killtoken_cli import client

        return getattr(client, name)
    raise AttributeError(f"module 'killtoken_cli' has no attribute {name!r}")
