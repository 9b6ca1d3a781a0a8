"""Per-tenant rate limit as an exact sliding window: at most `limit` admissions in any 60 seconds.

A fixed window lets 2x the limit through around its boundary and GCRA's burst allowance lets more
than the limit into one window; a log of admission times bounded by the limit does neither.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

WINDOW_SECONDS = 60.0


@dataclass(frozen=True)
class RateDecision:
    allowed: bool
    limit: int
    remaining: int
    reset_seconds: float  # until the window holds no admission at all (fully replenished)
    retry_after_seconds: float  # when refused: until the oldest admission leaves the window

    def headers(self) -> dict[str, str]:
        headers = {
            "x-ratelimit-limit": str(self.limit),
            "x-ratelimit-remaining": str(self.remaining),
            "x-ratelimit-reset": str(math.ceil(self.reset_seconds)),
        }
        if not self.allowed:
            headers["retry-after"] = str(max(1, math.ceil(self.retry_after_seconds)))
        return headers


class SlidingWindowLimiter:
    """Synchronous check-and-record, so concurrent requests on the event loop cannot race past it."""

    def __init__(self, monotonic: Callable[[], float], window: float = WINDOW_SECONDS) -> None:
        self._monotonic = monotonic
        self._window = window
        self._admitted: dict[str, deque[float]] = {}

    def hit(self, key: str, limit: int, *, record: bool = True) -> RateDecision:
        """Admit and record one request, or refuse it; `record=False` only looks."""
        now = self._monotonic()
        times = self._admitted.setdefault(key, deque())
        while times and times[0] <= now - self._window:
            times.popleft()
        allowed = len(times) < limit
        if allowed and record:
            times.append(now)
        return RateDecision(
            allowed=allowed,
            limit=limit,
            remaining=max(limit - len(times), 0),
            reset_seconds=times[-1] + self._window - now if times else 0.0,
            retry_after_seconds=0.0 if allowed else times[0] + self._window - now,
        )

    def give_back(self, key: str) -> None:
        """Undo the latest admission (synchronous with `hit`, so it is the caller's own)."""
        times = self._admitted.get(key)
        if times:
            times.pop()
