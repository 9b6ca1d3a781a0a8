"""The single-writer lock: only one process at a time may open the TinyDB files."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import IO

from killtoken_proxy.errors import StoreLocked


class StoreLock:
    def __init__(self, lock_file: Path, daemon_file: Path) -> None:
        self._lock_file = lock_file
        self._daemon_file = daemon_file
        self._handle: IO[str] | None = None

    def acquire(self) -> None:
        self._lock_file.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self._lock_file, "a+", encoding="utf-8")  # noqa: SIM115 - held open while locked
        try:
            _lock_exclusive(handle)
        except OSError:
            handle.close()
            raise StoreLocked(self._describe_holder()) from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        self._handle = handle

    def release(self) -> None:
        if self._handle is not None:
            _unlock(self._handle)
            self._handle.close()
            self._handle = None

    @property
    def held(self) -> bool:
        return self._handle is not None

    def _describe_holder(self) -> str:
        try:
            daemon = json.loads(self._daemon_file.read_text(encoding="utf-8"))
            where = f"pid {daemon.get('pid')}, {daemon.get('url')}"
        except (OSError, ValueError):
            try:
                where = f"pid {self._lock_file.read_text(encoding='utf-8').strip() or '?'}"
            except OSError:
                where = "unknown process"
        return (
            f"The KillToken store is in use by another process ({where}). "
            "Use that daemon, or stop it first (Ctrl-C in its terminal, or `kill <pid>`)."
        )


if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _lock_exclusive(handle: IO[str]) -> None:
        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)

    def _unlock(handle: IO[str]) -> None:
        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _lock_exclusive(handle: IO[str]) -> None:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)

    def _unlock(handle: IO[str]) -> None:
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
