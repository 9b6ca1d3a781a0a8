"""What an optimizer is (a named pure function with a mode threshold) and the helpers they share."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from killtoken_proxy.gateway.chat_request import OptimizationMode
from killtoken_proxy.gateway.optimize.blocks import INLINE_CODE, Block, split_blocks
from killtoken_proxy.gateway.optimize.messages import Message, last_user_index, map_text

MODES: tuple[OptimizationMode, ...] = ("measure_only", "safe", "balanced", "aggressive")


@dataclass(frozen=True)
class Context:
    """What every optimizer may read besides the messages: a token counter and the last user turn's text."""

    count: Callable[[str], int]
    query: str


@dataclass(frozen=True)
class Edit:
    """An optimizer's answer: the new message list and how many places it changed."""

    messages: list[Message]
    edits: int = 0


@dataclass(frozen=True)
class Optimizer:
    name: str
    mode: OptimizationMode  # the lowest mode that applies it
    apply: Callable[[list[Message], Context], Edit]
    summary: str


def rewrite_texts(messages: list[Message], change: Callable[[str], str]) -> Edit:
    """Rewrite every text of every message except the last user turn."""
    protected = last_user_index(messages)
    out: list[Message] = []
    edits = 0
    for index, message in enumerate(messages):
        if index == protected:
            out.append(message)
            continue
        new = map_text(message, change)
        edits += new is not message
        out.append(new)
    return Edit(out, edits)


def outside_spans(text: str, change: Callable[[str], str], protect: re.Pattern[str] = INLINE_CODE) -> str:
    """Apply `change` to the pieces of `text` that `protect` does not match (by default: inline code)."""
    pieces = protect.split(text)
    spans = protect.findall(text)
    out = [change(pieces[0])]
    for span, piece in zip(spans, pieces[1:], strict=True):
        out.extend((span, change(piece)))
    return "".join(out)


def rewrite_paragraphs(text: str, change: Callable[[str], str]) -> str:
    """Apply `change` to each prose paragraph; code blocks and blank lines stay as they are."""
    blocks = split_blocks(text)
    return "".join(change(b.text) if b.kind == "prose" else b.text for b in blocks)


def rejoin(blocks: list[Block]) -> str:
    """Join blocks after some were removed or rewritten: one blank line at most between survivors, none at
    the start or the end, and no trailing whitespace after a final paragraph (a final code block keeps its own)."""
    out: list[Block] = []
    for block in blocks:
        if block.kind == "gap" and (not out or out[-1].kind == "gap"):
            continue
        out.append(block)
    while out and out[-1].kind == "gap":
        out.pop()
    text = "".join(b.text for b in out)
    return text.rstrip() if out and out[-1].kind == "prose" else text
