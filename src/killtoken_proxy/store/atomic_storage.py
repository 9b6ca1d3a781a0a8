"""TinyDB storage that keeps the document in memory and replaces the file atomically on write.

The daemon is the only writer (see `lock`), so the in-memory copy is always current and reads
never touch the disk; writes go to a temp file, are fsynced, then renamed over the old file.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tinydb.storages import Storage

from killtoken_proxy import json_codec


def write_json_atomically(path: Path, document: Any) -> None:
    # orjson: `json.dumps` of a large document costs ~10x more CPU, with the GIL held.
    write_bytes_atomically(path, json_codec.dumps(document))


def write_bytes_atomically(path: Path, data: bytes) -> None:
    write_chunks_atomically(path, (data,))


def write_chunks_atomically(path: Path, chunks: Sequence[bytes]) -> None:
    """Temp file in the same folder, fsync, rename: readers see the old file or the new one, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        try:
            _write_all(fd, chunks)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.chmod(tmp_name, 0o600)
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise


_IOV_MAX = 1024  # pieces per writev call (POSIX's usual minimum for IOV_MAX)


def _write_all(fd: int, chunks: Sequence[bytes]) -> None:
    """One writev per up to _IOV_MAX pieces, GIL released: the pieces are never joined (copied) in Python."""
    for start in range(0, len(chunks), _IOV_MAX):
        group = chunks[start : start + _IOV_MAX]
        written = os.writev(fd, group)
        wanted = sum(len(chunk) for chunk in group)
        if written < wanted:  # a short write (rare on regular files): the rest the simple way
            rest = memoryview(b"".join(group))[written:]
            while rest:
                rest = rest[os.write(fd, rest) :]


class AtomicJSONStorage(Storage):
    def __init__(self, path: str | Path) -> None:
        self._path = Path(path)
        self._data: dict[str, dict[str, Any]] | None = None

    def read(self) -> dict[str, dict[str, Any]] | None:
        if self._data is None and self._path.exists():
            raw = self._path.read_bytes()
            self._data = json_codec.loads(raw) if raw.strip() else None
        # TinyDB mutates what read() returns before handing it to write(); copying would make every
        # query O(size of file), so a failed write instead drops the cache and reloads the disk's truth.
        return self._data

    def write(self, data: dict[str, dict[str, Any]]) -> None:
        try:
            write_json_atomically(self._path, data)
        except BaseException:
            self._data = None
            raise
        self._data = data

    def close(self) -> None:
        self._data = None
