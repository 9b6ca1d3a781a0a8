"""Run the optimizers in order (safe, then balanced, then aggressive) and measure every step.

One pass yields the result of every mode: each mode's messages are the snapshot after its last optimizer.
Steps of modes above the requested one are measured but not applied (the shadow estimate).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from killtoken_proxy.gateway.chat_request import OptimizationMode
from killtoken_proxy.gateway.optimize.aggressive import AGGRESSIVE
from killtoken_proxy.gateway.optimize.balanced import BALANCED
from killtoken_proxy.gateway.optimize.messages import Message, last_user_index, prompt_tokens, text_of
from killtoken_proxy.gateway.optimize.optimizer import MODES, Context, Edit, Optimizer
from killtoken_proxy.gateway.optimize.safe import SAFE
from killtoken_proxy.gateway.optimize.tokens import TokenCounter

OPTIMIZERS: tuple[Optimizer, ...] = (*SAFE, *BALANCED, *AGGRESSIVE)


@dataclass(frozen=True)
class Step:
    name: str
    mode: OptimizationMode
    tokens_before: int
    tokens_after: int
    edits: int
    applied: bool  # False: measured for the shadow estimate only

    @property
    def tokens_removed(self) -> int:
        return self.tokens_before - self.tokens_after


@dataclass(frozen=True)
class Result:
    mode: OptimizationMode
    counter: TokenCounter
    messages: list[Message]  # what goes upstream in `mode`
    tokens_before: int
    tokens_by_mode: dict[OptimizationMode, int]  # prompt tokens each mode would send
    steps: list[Step]

    @property
    def tokens_after(self) -> int:
        return self.tokens_by_mode[self.mode]

    @property
    def tokens_removed(self) -> int:
        return self.tokens_before - self.tokens_after

    def removed_by(self, mode: OptimizationMode) -> int:
        return self.tokens_before - self.tokens_by_mode[mode]


def memoized(count: Callable[[str], int]) -> Callable[[str], int]:
    """Count each distinct text once per run: unchanged messages are re-measured after every step."""
    seen: dict[str, int] = {}

    def cached(text: str) -> int:
        found = seen.get(text)
        if found is None:
            found = seen[text] = count(text)
        return found

    return cached


def optimize(messages: list[Message], mode: OptimizationMode, counter: TokenCounter) -> Result:
    count = memoized(counter.count)
    last_user = last_user_index(messages)
    ctx = Context(count=count, query=text_of(messages[last_user]) if last_user is not None else "")
    rank = MODES.index(mode)
    current, tokens = messages, prompt_tokens(messages, count)
    snapshots: dict[OptimizationMode, tuple[list[Message], int]] = {"measure_only": (messages, tokens)}
    steps: list[Step] = []
    for step_mode in MODES[1:]:
        for optimizer in (o for o in OPTIMIZERS if o.mode == step_mode):
            edit = optimizer.apply(current, ctx)
            after = prompt_tokens(edit.messages, count) if edit.edits else tokens
            if after > tokens:  # an edit that costs tokens is no optimization
                edit, after = Edit(current), tokens
            applied = MODES.index(step_mode) <= rank
            steps.append(Step(optimizer.name, step_mode, tokens, after, edit.edits, applied))
            current, tokens = edit.messages, after
        snapshots[step_mode] = (current, tokens)
    return Result(
        mode=mode,
        counter=counter,
        messages=snapshots[mode][0],
        tokens_before=snapshots["measure_only"][1],
        tokens_by_mode={m: snapshot[1] for m, snapshot in snapshots.items()},
        steps=steps,
    )
