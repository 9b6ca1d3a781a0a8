"""Remember optimization results of recent prompts: a size-bounded LRU keyed by the prompt's exact JSON.

The optimizers are pure functions of (messages, mode, token counter), so a prompt sent again (a retry, a
cache-bypassed repeat, a fixed prompt template) gets the same result without re-running every optimizer
and the tokenizer. Results are shared between requests: like the optimizers, nothing downstream mutates
messages in place (adapters copy before rewriting).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

Value = TypeVar("Value")

MEMO_BYTES = 8 << 20  # of prompt JSON kept as keys; results hold about the same again
MEMO_ENTRIES = 4096


class BoundedMemo(Generic[Value]):
    """LRU of `key -> value`, bounded by entry count and by the total size of its keys."""

    def __init__(self, max_bytes: int = MEMO_BYTES, max_entries: int = MEMO_ENTRIES) -> None:
        self._max_bytes = max_bytes
        self._max_entries = max_entries
        self._entries: OrderedDict[tuple[str, bytes], Value] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()  # big prompts are optimized in a worker thread

    def get_or_compute(self, key: tuple[str, bytes], compute: Callable[[], Value]) -> Value:
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
                return found
        value = compute()
        size = len(key[1])
        if size > self._max_bytes // 4:  # one huge prompt must not evict everything else
            return value
        with self._lock:
            if key not in self._entries:
                self._entries[key] = value
                self._bytes += size
            while self._bytes > self._max_bytes or len(self._entries) > self._max_entries:
                (_, old), _ = self._entries.popitem(last=False)
                self._bytes -= len(old)
        return value

    def __len__(self) -> int:
        return len(self._entries)
