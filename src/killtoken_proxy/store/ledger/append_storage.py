"""TinyDB storage for ledger segments: each write encodes only the documents added since the last one.

A segment only ever receives inserts, so the JSON of its earlier documents never changes: it is kept
as bytes and the new documents are spliced in. The file is byte for byte what encoding the whole
table gives, and is still replaced atomically; the CPU per batch no longer grows with the segment.
"""

from __future__ import annotations

from itertools import islice
from pathlib import Path
from typing import Any

from killtoken_proxy import json_codec
from killtoken_proxy.store import atomic_storage
from killtoken_proxy.store.atomic_storage import AtomicJSONStorage


class AppendOnlyJSONStorage(AtomicJSONStorage):
    def __init__(self, path: str | Path) -> None:
        super().__init__(path)
        self._table: str | None = None  # the one table whose encoded documents are kept
        self._items: list[bytes] = []  # `"1":{...},"2":{...}` per batch: the documents written, without braces
        self._count = 0

    def write(self, data: dict[str, dict[str, Any]]) -> None:
        try:
            atomic_storage.write_chunks_atomically(self._path, self._encode(data))
        except BaseException:
            self._data, self._table, self._items, self._count = None, None, [], 0
            raise
        self._data = data

    def _encode(self, data: dict[str, dict[str, Any]]) -> list[bytes]:
        """The file's bytes in pieces, written as they are: no copy of the whole segment per batch."""
        if len(data) != 1:  # not a one-table segment: encode it all, keep nothing
            self._table, self._items, self._count = None, [], 0
            return [json_codec.dumps(data)]
        ((name, table),) = data.items()
        if name == self._table and len(table) >= self._count:
            added = dict(islice(table.items(), self._count, None))
            if added:
                self._items.append(json_codec.dumps(added)[1:-1])
        else:
            self._items = [json_codec.dumps(table)[1:-1]] if table else []
        self._table, self._count = name, len(table)
        pieces = [b"{", json_codec.dumps(name), b":{"]
        for index, items in enumerate(self._items):
            pieces.extend((b",", items) if index else (items,))
        pieces.append(b"}}")
        return pieces
