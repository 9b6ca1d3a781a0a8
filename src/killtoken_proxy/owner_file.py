"""Small owner-only (0600) text files for local credentials: the admin token and `kt`'s saved tenant key."""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path


def read_owner_file(path: Path) -> str | None:
    """The file's stripped text, or None when it is missing or empty; narrows widened permissions back to 0600."""
    try:
        text = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    if os.name == "posix" and stat.S_IMODE(path.stat().st_mode) & 0o077:
        os.chmod(path, 0o600)  # someone widened it: only the owner may read a credential
    return text or None


def write_owner_file(path: Path, text: str) -> None:
    """Replace the file atomically: readers see the old text or the new, never half of it."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)  # mkstemp files are 0600
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text + "\n")
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
