"""A bounded in-memory map from the tool-call ids we returned to what the provider needs back on replay.

OpenAI clients drop provider-only fields (Gemini's `thoughtSignature`, DeepSeek's `reasoning_content`)
when they send a tool-calling turn back; adapters remember them here, per runtime, oldest forgotten first.
Entries belong to a scope (the tenant): a tool-call id another tenant sends back recalls nothing of theirs.
"""

from __future__ import annotations

from collections import OrderedDict


class ReplayMemory:
    def __init__(self, capacity: int = 2048) -> None:  # values run to a few KB each
        self._capacity = capacity
        self._by_id: OrderedDict[tuple[str, str], str] = OrderedDict()

    def remember(self, scope: str, call_id: str, value: str) -> None:
        key = (scope, call_id)
        self._by_id[key] = value
        self._by_id.move_to_end(key)
        while len(self._by_id) > self._capacity:
            self._by_id.popitem(last=False)

    def recall(self, scope: str, call_id: str) -> str | None:
        return self._by_id.get((scope, call_id))
