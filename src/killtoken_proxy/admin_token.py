"""The local admin token that authorises `/v1/admin/...`: created on first use, kept in a 0600 file.

Only someone who can read kt's state folder (the user who runs the daemon) can administer tenants.
"""

from __future__ import annotations

import hmac
import secrets
from pathlib import Path

from killtoken_proxy.owner_file import read_owner_file, write_owner_file

ADMIN_TOKEN_PREFIX = "ktadmin_"  # deliberately not `kt_`: an admin token is never a tenant key


def is_admin_token(presented: str | None, token: str) -> bool:
    """Constant-time: whether `presented` (a bearer value) is the admin token."""
    return hmac.compare_digest((presented or "").encode("utf-8"), token.encode("utf-8"))


def read_admin_token(path: Path) -> str | None:
    return read_owner_file(path)


def ensure_admin_token(path: Path) -> str:
    """The admin token, creating it (owner-only file) when there is none yet; called under the store lock."""
    existing = read_owner_file(path)
    if existing is not None:
        return existing
    token = ADMIN_TOKEN_PREFIX + secrets.token_urlsafe(32)
    write_owner_file(path, token)
    return token
