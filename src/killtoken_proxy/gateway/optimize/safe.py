"""`safe` optimizers: they change only whitespace, JSON formatting, invisible characters and exact repeats."""

from __future__ import annotations

import json
import re

from killtoken_proxy.gateway.optimize.blocks import (
    INVISIBLE,
    VERBATIM,
    Block,
    lines_of,
    paragraph_key,
    split_blocks,
)
from killtoken_proxy.gateway.optimize.messages import INSTRUCTION_ROLES, Message
from killtoken_proxy.gateway.optimize.optimizer import (
    Context,
    Edit,
    Optimizer,
    outside_spans,
    rejoin,
    rewrite_texts,
)

_DROP_INVISIBLE = str.maketrans("", "", INVISIBLE)
_JSON_START = re.compile(r"^[ \t]*[\[{]", re.MULTILINE)
_UNICODE_SPACES = re.compile(r"[\u00a0\u2000-\u200a\u202f\u205f\u3000]")
_SPACE_RUN = re.compile(r" {2,}")
MIN_DUPLICATE_WORDS = 8  # shorter repeats are often structure ("Example:", "Answer: yes"), not duplicates
_DECODER = json.JSONDecoder()


# -- invisible characters ---------------------------------------------------------------------------
def _strip_invisible_text(text: str) -> str:
    if not any(ch in text for ch in INVISIBLE):
        return text
    return "".join(
        b.text if b.kind == "code" else outside_spans(b.text, lambda s: s.translate(_DROP_INVISIBLE))
        for b in split_blocks(text)
    )


def strip_invisible(messages: list[Message], ctx: Context) -> Edit:
    return rewrite_texts(messages, _strip_invisible_text)


# -- JSON -------------------------------------------------------------------------------------------
def compact_json_text(text: str) -> str:
    """Drop the whitespace between JSON tokens; strings, numbers and escapes stay exactly as written."""
    out: list[str] = []
    in_string = escaped = False
    for ch in text:
        if in_string:
            out.append(ch)
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
            out.append(ch)
        elif ch not in " \t\n\r":
            out.append(ch)
    return "".join(out)


def _is_json_container(text: str) -> bool:
    try:
        return isinstance(json.loads(text), dict | list)
    except ValueError:
        return False


def _compact_embedded(paragraph: str) -> str:
    """Compact each multi-line JSON object or array that starts a line of this paragraph."""
    out: list[str] = []
    position = 0
    for match in _JSON_START.finditer(paragraph):
        start = match.end() - 1
        if start < position:
            continue
        try:
            value, end = _DECODER.raw_decode(paragraph, start)
        except ValueError:
            continue
        span = paragraph[start:end]
        if isinstance(value, dict | list) and "\n" in span:
            out.extend((paragraph[position:start], compact_json_text(span)))
            position = end
    out.append(paragraph[position:])
    return "".join(out)


def _compact_json_text(text: str) -> str:
    blocks = split_blocks(text)
    stripped = text.strip()
    if stripped[:1] in ("{", "[") and all(b.kind != "code" for b in blocks) and _is_json_container(stripped):
        return compact_json_text(stripped)
    return "".join(b.text if b.kind != "prose" else _compact_embedded(b.text) for b in blocks)


def compact_json(messages: list[Message], ctx: Context) -> Edit:
    return rewrite_texts(messages, _compact_json_text)


# -- whitespace -------------------------------------------------------------------------------------
def _tidy(piece: str) -> str:
    return _SPACE_RUN.sub(" ", _UNICODE_SPACES.sub(" ", piece.translate(_DROP_INVISIBLE)))


def _normalize_line(line: str) -> str:
    """Indentation stays as written; after it, invisible characters go and space runs become one space."""
    body = line.rstrip("\n")
    indent = body[: len(body) - len(body.lstrip(" \t"))]
    # An invisible character inside the indentation must not turn the line into indented code.
    rest = outside_spans(body[len(indent) :], _tidy, VERBATIM).lstrip(" ")
    return (indent + rest).rstrip() + ("\n" if line.endswith("\n") else "")


def _normalize_whitespace_text(text: str) -> str:
    blocks = split_blocks(text)
    out: list[Block] = []
    for block in blocks:
        if block.kind == "gap":
            if out:  # leading blank lines go; runs of blank lines become one
                out.append(Block("gap", "\n"))
        elif block.kind == "prose":
            out.append(Block("prose", "".join(_normalize_line(line) for line in lines_of(block.text))))
        else:
            out.append(block)
    return rejoin(out)


def normalize_whitespace(messages: list[Message], ctx: Context) -> Edit:
    return rewrite_texts(messages, _normalize_whitespace_text)


# -- exact duplicate instructions -------------------------------------------------------------------
def _without_seen_paragraphs(text: str, seen: set[str]) -> str:
    blocks = split_blocks(text)
    kept: list[Block] = []
    for block in blocks:
        key = paragraph_key(block.text) if block.kind == "prose" else ""
        if key and len(key.split()) >= MIN_DUPLICATE_WORDS:
            if key in seen:
                continue
            seen.add(key)
        kept.append(block)
    return text if len(kept) == len(blocks) else rejoin(kept)


def dedupe_instructions(messages: list[Message], ctx: Context) -> Edit:
    """Drop a system/developer message that repeats an earlier one, and repeated instruction paragraphs."""
    seen_messages: set[tuple[str, str]] = set()
    seen_paragraphs: set[str] = set()
    out: list[Message] = []
    edits = 0
    for message in messages:
        role = message.get("role")
        if role not in INSTRUCTION_ROLES or not isinstance(message.get("content"), str):
            out.append(message)
            continue
        key = (str(role), _normalize_whitespace_text(message["content"]))
        if key in seen_messages:
            edits += 1
            continue
        seen_messages.add(key)
        content = _without_seen_paragraphs(message["content"], seen_paragraphs)
        if content != message["content"] and content.strip():
            out.append({**message, "content": content})
            edits += 1
        else:
            out.append(message)
    return Edit(out, edits)


# Whitespace last: it also tidies the blank lines that removing repeats leaves behind.
SAFE = (
    Optimizer("strip_invisible", "safe", strip_invisible, "zero-width spaces, word joiners, BOMs, soft hyphens"),
    Optimizer("compact_json", "safe", compact_json, "JSON payloads re-serialised without formatting whitespace"),
    Optimizer("dedupe_instructions", "safe", dedupe_instructions, "repeated system/developer messages or paragraphs"),
    Optimizer("normalize_whitespace", "safe", normalize_whitespace, "trailing spaces, space runs, blank-line runs"),
)
