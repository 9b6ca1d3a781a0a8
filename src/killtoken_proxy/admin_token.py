"""The local admin token that authorises `/v1/admin/...`: created on first use, kept in a 0600 file.

Only someone who can read kt's state folder (the user who runs the daemon) can administer tenants.
"""

from __future__ import annotations

import os
import secrets
import stat
import tempfile
from pathlib import Path

ADMIN_TOKEN_PREFIX = "ktadmin_"  # deliberately not `kt_`: an admin token is never a tenant key


def read_admin_token(path: Path) -> str | None:
    try:
        token = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    if os.name == "posix" and stat.S_IMODE(path.stat().st_mode) & 0o077:
        os.chmod(path, 0o600)  # someone widened it: only the owner may hold the admin token
    return token or None


def ensure_admin_token(path: Path) -> str:
    """The admin token, creating it (owner-only file) when there is none yet; called under the store lock."""
    existing = read_admin_token(path)
    if existing is not None:
        return existing
    token = ADMIN_TOKEN_PREFIX + secrets.token_urlsafe(32)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)  # mkstemp files are 0600
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(token + "\n")
        os.replace(tmp_name, path)  # readers see no token or the whole token, never half of one
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return token
