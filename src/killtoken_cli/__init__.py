"""The `kt` command and the KillToken Python SDK (`KillTokenClient`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from killtoken_cli.client import KillTokenAPIError, KillTokenClient

__all__ = ["KillTokenAPIError", "KillTokenClient"]


def __getattr__(name: str) -> Any:
    # The SDK pulls in httpx (~100 ms); `kt --help` and other commands that do not call the API skip it.
    if name in __all__:
        from killtoken_cli import client

        return getattr(client, name)
    raise AttributeError(f"module 'killtoken_cli' has no attribute {name!r}")
