"""Split message text into code, prose and blank-line blocks, losslessly, so optimizers never touch code.

Code means fenced blocks (``` or ~~~), `<pre>` blocks and indented (4-space or tab) blocks after a blank
line; an unclosed fence or `<pre>` runs to the end. Prose blocks are paragraphs; gaps are blank lines.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

INVISIBLE = "\u200b\u2060\ufeff\u00ad"  # zero-width space, word joiner, BOM, soft hyphen
_BLANK = re.compile(rf"[\s{INVISIBLE}]*")
_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})")
_PRE_OPEN = re.compile(r"\s*<pre[\s>]", re.IGNORECASE)
_PRE_CLOSE = re.compile(r"</pre\s*>", re.IGNORECASE)
INLINE_CODE = re.compile(r"`+[^`\n]*`+")
# Inline code and quoted strings: spans whose spaces and words are data, so no optimizer edits inside them.
VERBATIM = re.compile(rf"{INLINE_CODE.pattern}|\"[^\"\n]*\"|“[^”\n]*”")
_DROP_INVISIBLE = str.maketrans("", "", INVISIBLE)

Kind = Literal["code", "prose", "gap"]


@dataclass(frozen=True)
class Block:
    kind: Kind
    text: str


def lines_of(text: str) -> list[str]:
    """Lines with their `\\n` kept; `"".join(lines_of(t)) == t`."""
    parts = text.split("\n")
    return [part + "\n" for part in parts[:-1]] + ([parts[-1]] if parts[-1] else [])


def is_blank(line: str) -> bool:
    return _BLANK.fullmatch(line) is not None


def _fence_end(lines: list[str], start: int, fence: str) -> int:
    closing = re.compile(rf" {{0,3}}{re.escape(fence[0])}{{{len(fence)},}}\s*")
    for index in range(start + 1, len(lines)):
        if closing.fullmatch(lines[index]):
            return index + 1
    return len(lines)


def _pre_end(lines: list[str], start: int) -> int:
    for index in range(start, len(lines)):
        if _PRE_CLOSE.search(lines[index]):
            return index + 1
    return len(lines)


def _code_end(lines: list[str], index: int, after_gap: bool) -> int | None:
    """Where a code block starting at `index` ends, or None if no code block starts there."""
    line = lines[index]
    fence = _FENCE.match(line)
    if fence:
        return _fence_end(lines, index, fence.group(1))
    if _PRE_OPEN.match(line):
        return _pre_end(lines, index)
    if after_gap and line.startswith(("    ", "\t")):
        end = index
        while end < len(lines) and lines[end].startswith(("    ", "\t")) and not is_blank(lines[end]):
            end += 1
        return end
    return None


@lru_cache(maxsize=256)  # every optimizer splits the same texts again; splitting is pure
def split_blocks(text: str) -> tuple[Block, ...]:
    lines = lines_of(text)
    blocks: list[Block] = []
    index = 0
    while index < len(lines):
        if is_blank(lines[index]):
            end = index
            while end < len(lines) and is_blank(lines[end]):
                end += 1
            blocks.append(Block("gap", "".join(lines[index:end])))
        else:
            after_gap = not blocks or blocks[-1].kind != "prose"
            end_code = _code_end(lines, index, after_gap)
            if end_code is not None:
                blocks.append(Block("code", "".join(lines[index:end_code])))
                end = end_code
            else:
                end = index + 1
                while end < len(lines) and not is_blank(lines[end]) and _code_end(lines, end, False) is None:
                    end += 1
                blocks.append(Block("prose", "".join(lines[index:end])))
        index = end
    return tuple(blocks)


def join(blocks: tuple[Block, ...] | list[Block]) -> str:
    return "".join(block.text for block in blocks)


def code_blocks(text: str) -> list[str]:
    return [block.text for block in split_blocks(text) if block.kind == "code"]


def paragraph_key(text: str) -> str:
    """Two paragraphs are the same passage when they differ only in whitespace and invisible characters."""
    return " ".join(text.translate(_DROP_INVISIBLE).split())
