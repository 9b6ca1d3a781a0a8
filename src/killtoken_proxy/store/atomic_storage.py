"""TinyDB storage that keeps the document in memory and replaces the file atomically on write.

The daemon is the only writer (see `lock`), so the in-memory copy is always current and reads
never touch the disk; writes go to a temp file, are fsynced, then renamed over the old file.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from tinydb.storages import Storage

from killtoken_proxy import json_codec


def write_json_atomically(path: Path, document: Any) -> None:
    # orjson: `json.dumps` of a large document costs ~10x more CPU, with the GIL held.
    write_bytes_atomically(path, json_codec.dumps(document))


def write_bytes_atomically(path: Path, data: bytes) -> None:
    """Temp file in the same folder, fsync, rename: readers see the old file or the new one, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp_name, 0o600)
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise


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
