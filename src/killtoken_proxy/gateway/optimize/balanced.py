"""`balanced` optimizers (bounded loss): repeated passages kept once, long outputs trimmed, old history dropped.

The system/developer messages and the last user turn are never changed by these.
"""

from __future__ import annotations

from collections import defaultdict
from functools import partial

from killtoken_proxy.gateway.optimize.blocks import Block, paragraph_key, split_blocks
from killtoken_proxy.gateway.optimize.messages import (
    INSTRUCTION_ROLES,
    Message,
    has_tool_results,
    is_tool_output,
    last_user_index,
    map_text,
    message_tokens,
    prompt_tokens,
    starts_turn,
    without_tool_results,
)
from killtoken_proxy.gateway.optimize.optimizer import Context, Edit, Optimizer, rejoin, rewrite_paragraphs
from killtoken_proxy.gateway.optimize.trim import trim_to_budget

MIN_PASSAGE_TOKENS = 30  # a repeat shorter than this costs less than the marker is worth
TOOL_OUTPUT_BUDGET = 1000  # tokens kept of one tool/function result
CONTEXT_BLOCK_BUDGET = 1500  # tokens kept of one pasted paragraph in an earlier turn
HISTORY_BUDGET = 6000  # prompt tokens above which the oldest turns are dropped
REPEAT_MARKER = "[repeated passage omitted by KillToken]"


def _protected(messages: list[Message]) -> set[int]:
    last_user = last_user_index(messages)
    return {i for i, m in enumerate(messages) if m.get("role") in INSTRUCTION_ROLES or i == last_user}


Position = tuple[int, int]  # (message index, block index)


def _repeats(messages: list[Message], ctx: Context) -> set[Position]:
    """The positions of long passages to drop: every copy but one of each passage seen more than once."""
    protected = _protected(messages)
    seen: dict[str, list[Position]] = defaultdict(list)
    for index, message in enumerate(messages):
        if not isinstance(message.get("content"), str):
            continue
        for number, block in enumerate(split_blocks(message["content"])):
            if block.kind == "prose" and ctx.count(block.text) >= MIN_PASSAGE_TOKENS:
                seen[paragraph_key(block.text)].append((index, number))
    drop: set[Position] = set()
    for where in seen.values():
        if len(where) > 1:
            # A copy in a message we may not touch stays; otherwise the latest copy, nearest the question.
            keep = next((p for p in where if p[0] in protected), where[-1])
            drop.update(p for p in where if p != keep and p[0] not in protected)
    return drop


def _replace_repeats(text: str, *, index: int, drop: set[Position]) -> str:
    blocks: list[Block] = []
    for number, block in enumerate(split_blocks(text)):
        if (index, number) not in drop:
            blocks.append(block)
        elif not (blocks and blocks[-1].text == REPEAT_MARKER + "\n"):
            blocks.append(Block("prose", REPEAT_MARKER + "\n"))
    return rejoin(blocks)


def dedupe_passages(messages: list[Message], ctx: Context) -> Edit:
    """A long paragraph repeated across turns (RAG context re-sent each turn) is kept once, with a marker."""
    drop = _repeats(messages, ctx)
    if not drop:
        return Edit(messages)
    touched = {index for index, _ in drop}
    out = [
        map_text(m, partial(_replace_repeats, index=i, drop=drop)) if i in touched else m
        for i, m in enumerate(messages)
    ]
    return Edit(out, sum(new is not old for new, old in zip(out, messages, strict=True)))


def trim_long_blocks(messages: list[Message], ctx: Context) -> Edit:
    """Tool outputs over TOOL_OUTPUT_BUDGET and pasted paragraphs over CONTEXT_BLOCK_BUDGET keep head and tail."""
    protected = _protected(messages)
    out: list[Message] = []
    edits = 0
    for index, message in enumerate(messages):
        if index in protected:
            out.append(message)
            continue
        if is_tool_output(message):
            new = map_text(message, lambda text: trim_to_budget(text, TOOL_OUTPUT_BUDGET, ctx.count))
        else:
            new = map_text(
                message,
                lambda text: rewrite_paragraphs(
                    text, lambda paragraph: trim_to_budget(paragraph, CONTEXT_BLOCK_BUDGET, ctx.count)
                ),
            )
        edits += new is not message
        out.append(new)
    return Edit(out, edits)


def _turns(messages: list[Message], stop: int) -> list[list[int]]:
    """Indexes of droppable messages before `stop`, grouped in turns that each start at a user message
    (not at a tool result, which belongs with the tool call before it)."""
    turns: list[list[int]] = []
    for index in range(stop):
        if messages[index].get("role") in INSTRUCTION_ROLES:
            continue
        if not turns or starts_turn(messages[index]):
            turns.append([])
        turns[-1].append(index)
    return turns


def drop_old_history(messages: list[Message], ctx: Context) -> Edit:
    """Above HISTORY_BUDGET, whole turns go oldest first; instructions and the last user turn always stay.

    Whole turns keep each assistant tool call with its tool results, and the history starting at a user turn.
    An Anthropic user message may open a turn with the results of the previous turn's tool calls: when that
    turn goes, those results go with it (the text stays), except from the last user message, which is kept
    verbatim together with the turn it answers.
    """
    total = prompt_tokens(messages, ctx.count)
    last_user = last_user_index(messages)
    if total <= HISTORY_BUDGET or last_user is None:
        return Edit(messages)
    turns = _turns(messages, last_user)
    if has_tool_results(messages[last_user]) and turns:
        turns = turns[:-1]
    dropped: set[int] = set()
    for turn in turns:
        if total <= HISTORY_BUDGET:
            break
        dropped.update(turn)
        total -= sum(message_tokens(messages[i], ctx.count) for i in turn)
    kept = [m for i, m in enumerate(messages) if i not in dropped]
    first = next((i for i, m in enumerate(kept) if m.get("role") not in INSTRUCTION_ROLES), None)
    stripped = dropped and first is not None and has_tool_results(kept[first])
    if stripped:
        assert first is not None
        kept[first] = without_tool_results(kept[first])
    return Edit(kept, len(dropped) + bool(stripped))


BALANCED = (
    Optimizer("dedupe_passages", "balanced", dedupe_passages, "long passages repeated across turns kept once"),
    Optimizer("trim_long_blocks", "balanced", trim_long_blocks, "long tool outputs and pasted blocks: head and tail"),
    Optimizer("drop_old_history", "balanced", drop_old_history, "oldest turns dropped above the history budget"),
)
