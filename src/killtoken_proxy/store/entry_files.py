"""A folder of small files, one per entry, written behind the request: the newest operation per file
wins and one writer task applies the pending ones in batches (atomic replace), so a request never
waits for the disk. Entries are `<header JSON>\\n<payload>`; the owner keeps its index in memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, TypeVar

from killtoken_proxy.store.atomic_storage import write_bytes_atomically

log = logging.getLogger("killtoken.store")

FORMAT = 1  # of the header line; bump on incompatible changes (old entries are then dropped on load)
_TOUCH = "touch"
Operation = bytes | Callable[[], bytes] | str | None  # content, content made at write time, touch, delete


@dataclass(frozen=True)
class StoredEntry:
    name: str
    header: dict[str, Any]
    payload: bytes
    mtime: float
    size: int  # bytes on disk


def encode_entry(header: dict[str, Any], payload: bytes) -> bytes:
    return json.dumps(header, separators=(",", ":")).encode("utf-8") + b"\n" + payload


_FIELD_TYPES: dict[str, tuple[type, ...]] = {
    "str": (str,),
    "float": (int, float),
    "str | None": (str, type(None)),
}
R = TypeVar("R")


def record_header(record: Any) -> dict[str, Any]:
    """A dataclass record's fields but `body`, for the file's header line."""
    header = {f.name: getattr(record, f.name) for f in fields(record) if f.name != "body"}
    return {"format": FORMAT, **header}


def record_from(cls: type[R], stored: StoredEntry, name_field: str) -> R | None:
    """The dataclass `cls` (str/float/`str | None` fields and `body: bytes`) from an entry, or None
    when the entry is not one: another format, a field missing or of the wrong type, a renamed file."""
    header = dict(stored.header)
    if header.pop("format", None) != FORMAT or header.get(name_field) != stored.name:
        return None
    for field_ in fields(cls):  # type: ignore[arg-type]
        if field_.name != "body" and not isinstance(header.get(field_.name), _FIELD_TYPES[str(field_.type)]):
            return None
    make: Callable[..., R] = cls
    try:
        return make(**header, body=stored.payload)
    except TypeError:
        return None


def stored_entry(name: str, data: bytes) -> StoredEntry | None:
    """An entry's bytes (a file's, or a write still queued) as a `StoredEntry`; None when damaged."""
    decoded = _decode_entry(data)
    return None if decoded is None else StoredEntry(name, decoded[0], decoded[1], 0.0, len(data))


def _decode_entry(data: bytes) -> tuple[dict[str, Any], bytes] | None:
    head, newline, payload = data.partition(b"\n")
    if not newline:
        return None
    try:
        header = json.loads(head)
    except ValueError:
        return None
    return (header, payload) if isinstance(header, dict) else None


class EntryFiles:
    """Entries live at `<folder>/<name[:2]>/<name>`; names starting with `_` (bookkeeping) at the top."""

    def __init__(self, folder: Path, *, batch_wait: float = 0.02) -> None:
        self.folder = folder
        self._batch_wait = batch_wait
        self._pending: dict[str, Operation] = {}
        self._writing: dict[str, bytes | str | None] = {}  # the batch on its way to the disk
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._writer: asyncio.Task[None] | None = None
        self._closing = threading.Event()

    def path(self, name: str) -> Path:
        return self.folder / name if name.startswith("_") else self.folder / name[:2] / name

    # -- request path: only memory -----------------------------------------------------------------
    def put(self, name: str, content: bytes | Callable[[], bytes]) -> None:
        self._queue(name, content)

    def delete(self, name: str) -> None:
        self._queue(name, None)

    def touch(self, name: str) -> None:
        """Mark the entry as just used (its mtime orders LRU eviction after a restart)."""
        pending = self._pending.pop(name, _TOUCH)
        if pending is not None:  # a pending write moves last in its batch, so its mtime is the newest
            self._queue(name, pending)
        else:
            self._pending[name] = None  # deleted stays deleted

    def _queue(self, name: str, operation: Operation) -> None:
        self._pending[name] = operation
        self._idle.clear()
        self._wake.set()

    # -- writer ----------------------------------------------------------------------------------
    def start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._writer = asyncio.create_task(self._run(), name=f"killtoken-writer-{self.folder.name}")

    async def flush(self) -> None:
        """Wait until every operation queued so far is on disk."""
        if self._writer is None:
            await self._write_pending()
        else:
            await self._idle.wait()

    def stop_scanning(self) -> None:
        self._closing.set()

    async def close(self) -> None:
        self._closing.set()
        if self._writer is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._idle.wait(), timeout=10.0)
            self._writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._writer
            self._writer = None
        await self._write_pending()
        if self._pending:
            log.error("%s: %d entries could not be written before shutdown", self.folder, len(self._pending))

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            await asyncio.sleep(self._batch_wait)  # let a burst gather, and coalesce per file
            self._wake.clear()
            try:
                written = await self._write_pending()
            except Exception:
                log.exception("%s: write batch failed", self.folder)
                written = False
            if not self._pending:
                self._idle.set()
                continue
            self._wake.set()  # what failed, or arrived meanwhile, goes in the next round
            if not written:
                await asyncio.sleep(1.0)

    async def _write_pending(self) -> bool:
        batch, self._pending = self._pending, {}
        resolved = {name: op() if callable(op) else op for name, op in batch.items()}
        if not resolved:
            return True
        self._writing = resolved
        try:
            failed = await asyncio.to_thread(self._apply, resolved)
        finally:
            self._writing = {}
        for name in failed:  # keep them for the next round unless something newer replaced them
            self._pending.setdefault(name, batch[name])
        return not failed

    def _apply(self, batch: dict[str, bytes | str | None]) -> list[str]:
        failed = []
        for name, operation in batch.items():
            path = self.path(name)
            try:
                if operation is None:
                    path.unlink(missing_ok=True)
                elif operation == _TOUCH:
                    with contextlib.suppress(FileNotFoundError):
                        os.utime(path)
                else:
                    assert isinstance(operation, bytes)
                    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
                    write_bytes_atomically(path, operation)
            except OSError:
                log.exception("%s: could not write %s; kept in memory for retry", self.folder, name)
                failed.append(name)
        return failed

    # -- startup (runs in a thread, before the owner serves anything) -----------------------------
    def scan(self, *, at_start: bool = True, headers_only: bool = False) -> Iterator[StoredEntry]:
        """Every readable entry; stops early when the store is closing. Unreadable files are skipped.
        At start-up (nothing is being written yet) temp files left by a crash mid-write are removed.
        `headers_only` reads each file's header line, not its payload (b"")."""
        if not self.folder.is_dir():
            return
        for bucket in sorted(p for p in self.folder.iterdir() if p.is_dir() and len(p.name) == 2):
            for path in bucket.iterdir():
                if self._closing.is_set():
                    return
                if path.name.startswith("."):
                    if at_start:
                        path.unlink(missing_ok=True)
                    continue
                entry = self._read_entry(path, headers_only=headers_only)
                if entry is not None:
                    yield entry

    def read_entry(self, name: str) -> StoredEntry | None:
        """One entry, whole, from its file (blocking: start-up and worker threads only)."""
        return self._read_entry(self.path(name))

    def _read_entry(self, path: Path, *, headers_only: bool = False) -> StoredEntry | None:
        try:
            stat = path.stat()
            if headers_only:
                with path.open("rb") as handle:
                    data = handle.readline()
            else:
                data = path.read_bytes()
        except OSError:
            log.warning("%s: cannot read %s; skipped", self.folder, path.name)
            return None
        decoded = _decode_entry(data)
        if decoded is None:
            log.warning("%s: %s is damaged; removed", self.folder, path.name)
            path.unlink(missing_ok=True)
            return None
        return StoredEntry(path.name, decoded[0], decoded[1], stat.st_mtime, stat.st_size)

    def read_file(self, name: str) -> bytes | None:
        try:
            return self.path(name).read_bytes()
        except FileNotFoundError:
            return None

    async def read(self, name: str) -> bytes | None:
        """The entry as it stands: a queued or in-progress write wins over the file, read off the loop."""
        for queue in (self._pending, self._writing):
            if name in queue:
                operation = queue[name]
                if operation is None or isinstance(operation, bytes):
                    return operation
                if callable(operation):
                    return operation()
                break  # a touch: the content is the file's
        return await asyncio.to_thread(self.read_file, name)


class IndexedStore:
    """Base of a store that keeps its index in memory over `EntryFiles`: the files are read once, in
    a thread, right after start; `ready()` waits for that (only the first callers ever wait)."""

    def __init__(self, files: EntryFiles) -> None:
        self.files = files
        self._loading: asyncio.Task[None] | None = None
        self._loaded = False

    def start(self) -> None:
        self.files.start()
        self._loading = asyncio.create_task(self._load(), name=f"killtoken-load-{self.files.folder.name}")

    async def ready(self) -> None:
        if self._loaded:
            return
        if self._loading is None:
            self.start()
        assert self._loading is not None
        await asyncio.shield(self._loading)

    async def close(self) -> None:
        self.files.stop_scanning()
        if self._loading is not None:
            with contextlib.suppress(Exception):
                await self._loading
        await self.files.close()

    async def _load(self) -> None:
        try:
            entries = await asyncio.to_thread(self._read_all)
            self._index(entries)
        except Exception:
            # Start empty rather than refuse requests; what is on disk stays there for the next start.
            log.exception("%s: could not load; starting empty", self.files.folder)
        self._loaded = True

    def _read_all(self) -> list[StoredEntry]:
        return sorted(self.files.scan(), key=lambda entry: entry.mtime)

    def _index(self, entries: list[StoredEntry]) -> None:
        raise NotImplementedError
