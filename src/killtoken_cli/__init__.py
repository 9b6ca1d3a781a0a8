"""The `kt` command and the KillToken Python SDK (`KillTokenClient`)."""

from killtoken_cli.client import KillTokenAPIError, KillTokenClient

__all__ = ["KillTokenAPIError", "KillTokenClient"]
