"""Cut a text down to a token budget keeping its head and tail around a marker; code blocks always stay."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from killtoken_proxy.gateway.optimize.blocks import lines_of, split_blocks

HEAD_SHARE = 0.6  # the start of an output usually says what it is; the end says how it finished
_BREAK = re.compile(r"[\s,;]")


@dataclass(frozen=True)
class _Unit:
    text: str
    code: bool  # a whole code block: kept, never cut


def _units(text: str) -> list[_Unit]:
    units: list[_Unit] = []
    for block in split_blocks(text):
        if block.kind == "code":
            units.append(_Unit(block.text, True))
        else:
            units.extend(_Unit(line, False) for line in lines_of(block.text))
    return units


def _fit(limit: int, fits: Callable[[int], bool]) -> int:
    """The largest k in [0, limit] with fits(k), for a monotone `fits`; probes small k first (cheap counts)."""
    high = min(limit, 64)
    while high < limit and fits(high):
        high = min(limit, high * 2)
    low = 0
    while low < high:
        middle = (low + high + 1) // 2
        if fits(middle):
            low = middle
        else:
            high = middle - 1
    return low


def _prefix(text: str, budget: int, count: Callable[[str], int]) -> str:
    """The longest prefix of `text` within `budget` tokens, ended after a space or comma when one is near."""
    size = _fit(len(text), lambda k: count(text[:k]) <= budget)
    cut = max((m.end() for m in _BREAK.finditer(text, max(0, size - 200), size)), default=0)
    return text[: cut or size]


def _suffix(text: str, budget: int, count: Callable[[str], int]) -> str:
    size = _fit(len(text), lambda k: count(text[len(text) - k :]) <= budget)
    start = len(text) - size
    cut = next((m.start() for m in _BREAK.finditer(text, start, min(len(text), start + 200))), None)
    return text[cut:] if cut is not None else text[start:]


def _marker_after(out: list[str], tokens: int) -> str:
    """The marker on a line of its own; the count is approximate where a long line was cut."""
    newline = "\n" if "".join(out[-2:]) and not "".join(out[-2:]).endswith("\n") else ""
    return f"{newline}[… {max(tokens, 1)} tokens trimmed by KillToken …]\n"


def _partial(unit: _Unit, budget: int, count: Callable[[str], int], take: Callable[..., str], whole: int) -> str:
    """Part of a long line (a one-line JSON, a minified log); short lines are kept whole or not at all."""
    if unit.code or budget <= 0 or count(unit.text) < whole // 4:
        return ""
    return take(unit.text, budget, count)


def trim_to_budget(text: str, budget: int, count: Callable[[str], int]) -> str:
    """`text` itself when within budget; else its head and tail, the middle's code blocks, and markers."""
    if count(text) <= budget:
        return text
    units = _units(text)
    head_budget = int(budget * HEAD_SHARE)
    tail_budget = budget - head_budget
    head = spent = 0
    while head < len(units) and spent + count(units[head].text) <= head_budget:
        spent += count(units[head].text)
        head += 1
    head_part = _partial(units[head], head_budget - spent, count, _prefix, budget) if head < len(units) else ""
    tail, spent = len(units), 0
    while tail - 1 > head and spent + count(units[tail - 1].text) <= tail_budget:
        spent += count(units[tail - 1].text)
        tail -= 1
    last = units[tail - 1]
    rest = last if tail - 1 > head else _Unit(last.text[len(head_part) :], last.code)
    tail_part = _partial(rest, tail_budget - spent, count, _suffix, budget)
    out = [u.text for u in units[:head]] + [head_part]
    removed = 0
    for unit in units[head:tail]:
        if not unit.code:
            removed += count(unit.text)  # the kept head and tail parts are taken off below
            continue
        if removed:
            out.append(_marker_after(out, removed - count(head_part) - count(tail_part)))
            head_part = tail_part = ""
            removed = 0
        out.append(unit.text)
    if removed:
        out.append(_marker_after(out, removed - count(head_part) - count(tail_part)))
    out.append(tail_part)
    out.extend(u.text for u in units[tail:])
    trimmed = "".join(out)
    return trimmed if count(trimmed) < count(text) else text
