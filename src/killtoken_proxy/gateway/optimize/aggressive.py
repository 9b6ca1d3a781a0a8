"""`aggressive` optimizers: extractive compression of long context and filler-word removal in it.

Context is every prose paragraph of the earlier turns and tool results, plus system/developer paragraphs of
at least DOCUMENT_MIN_TOKENS (documents pasted into instructions). Code, quotes and numbers never change.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from functools import partial

from killtoken_proxy.gateway.optimize.blocks import VERBATIM
from killtoken_proxy.gateway.optimize.messages import INSTRUCTION_ROLES, Message, last_user_index, map_text
from killtoken_proxy.gateway.optimize.optimizer import (
    Context,
    Edit,
    Optimizer,
    outside_spans,
    rewrite_paragraphs,
)
from killtoken_proxy.gateway.optimize.relevance import bm25_scores, sentences

DOCUMENT_MIN_TOKENS = 80  # shorter system/developer paragraphs are instructions, and stay as written
EXTRACT_MIN_TOKENS = 80
MIN_SENTENCES = 4  # shorter paragraphs have too little to choose from
KEEP_SHARE = 0.5  # of a context block's tokens, the most relevant sentences first
ELLIPSIS = "… "

_PHRASES = (
    (re.compile(r"\b(?:it is|it's) (?:important|worth) (?:to note|noting) that\s+", re.IGNORECASE), ""),
    (re.compile(r"\bplease note that\s+", re.IGNORECASE), ""),
    (re.compile(r"\bas a matter of fact,?\s+", re.IGNORECASE), ""),
    (re.compile(r"\bin order to\b", re.IGNORECASE), "to"),
    (re.compile(r"\bdue to the fact that\b", re.IGNORECASE), "because"),
    (re.compile(r"\bin the event that\b", re.IGNORECASE), "if"),
    (re.compile(r"\bat this point in time\b", re.IGNORECASE), "now"),
    (re.compile(r"\bfor the purpose of\b", re.IGNORECASE), "for"),
)
# Lower-case only (plus "The"): a capital "A" may be a name ("vitamin A"); negations are never fillers.
_FILLER_WORDS = re.compile(
    r"\b(?:the|The|a|an|very|really|just|basically|actually|simply|quite|literally|essentially|somewhat)[ \t]+"
    r"(?=[^\W\d])"
)


def _is_json(paragraph: str) -> bool:
    try:
        json.loads(paragraph)
    except ValueError:
        return False
    return True


def _context_paragraphs(messages: list[Message], ctx: Context, change: Callable[[str], str]) -> Edit:
    """Apply `change` to each context paragraph (see the module docstring); JSON is data, never prose."""

    def in_instructions(paragraph: str) -> str:
        return change(paragraph) if ctx.count(paragraph) >= DOCUMENT_MIN_TOKENS else paragraph

    def in_context(paragraph: str) -> str:
        return paragraph if _is_json(paragraph) else change(paragraph)

    out: list[Message] = []
    edits = 0
    protected = last_user_index(messages)
    for index, message in enumerate(messages):
        new = message
        if index != protected:
            each = in_instructions if message.get("role") in INSTRUCTION_ROLES else in_context
            new = map_text(message, partial(rewrite_paragraphs, change=each))
        edits += new is not message
        out.append(new)
    return Edit(out, edits)


def _extract(paragraph: str, ctx: Context) -> str:
    if ctx.count(paragraph) < EXTRACT_MIN_TOKENS:
        return paragraph
    pieces = sentences(paragraph)
    if len(pieces) < MIN_SENTENCES:
        return paragraph
    scores = bm25_scores(pieces, ctx.query)
    target = KEEP_SHARE * ctx.count(paragraph)
    keep = {0}  # the lead sentence says what the passage is (and carries labels such as "[2]")
    kept_tokens = ctx.count(pieces[0])
    for index in sorted(range(1, len(pieces)), key=lambda i: (-scores[i], i)):
        if kept_tokens >= target:
            break
        keep.add(index)
        kept_tokens += ctx.count(pieces[index])
    out: list[str] = []
    for index, piece in enumerate(pieces):
        if index in keep:
            out.append(piece if index == 0 or index - 1 in keep else ELLIPSIS + piece)
    if max(keep) < len(pieces) - 1:
        out.append(ELLIPSIS.rstrip() + ("\n" if paragraph.endswith("\n") else ""))
    return "".join(out)


def extract_relevant(messages: list[Message], ctx: Context) -> Edit:
    """Long context keeps the half of its sentences most relevant (BM25) to the last user message, in order."""
    if not ctx.query.strip():
        return Edit(messages)
    return _context_paragraphs(messages, ctx, lambda p: _extract(p, ctx))


def _unfill(piece: str) -> str:
    for pattern, replacement in _PHRASES:
        piece = pattern.sub(replacement, piece)
    return _FILLER_WORDS.sub("", piece)


def remove_filler(messages: list[Message], ctx: Context) -> Edit:
    """Articles and filler words/phrases go from context; never from quotes, inline code or numbers."""
    return _context_paragraphs(messages, ctx, lambda p: outside_spans(p, _unfill, VERBATIM))


AGGRESSIVE = (
    Optimizer("extract_relevant", "aggressive", extract_relevant, "long context: the sentences that match the ask"),
    Optimizer("remove_filler", "aggressive", remove_filler, "articles and filler words out of context blocks"),
)
