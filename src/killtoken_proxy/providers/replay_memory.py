"""A bounded in-memory map from the tool-call ids we returned to what the provider needs back on replay.

OpenAI clients drop provider-only fields (Gemini's `thoughtSignature`, DeepSeek's `reasoning_content`)
when they send a tool-calling turn back; adapters remember them here, per runtime, oldest forgotten first.
"""

from __future__ import annotations

from collections import OrderedDict


class ReplayMemory:
    def __init__(self, capacity: int = 2048) -> None:  # values run to a few KB each
        self._capacity = capacity
        self._by_id: OrderedDict[str, str] = OrderedDict()

    def remember(self, call_id: str, value: str) -> None:
        self._by_id[call_id] = value
        self._by_id.move_to_end(call_id)
        while len(self._by_id) > self._capacity:
            self._by_id.popitem(last=False)

    def recall(self, call_id: str) -> str | None:
        return self._by_id.get(call_id)
