"""Sentence splitting and Okapi BM25 scoring of sentences against a query (the last user turn)."""

from __future__ import annotations

import math
import re
from collections import Counter

# Ends a sentence: . ! ? (optionally closed by a quote or bracket) then whitespace; or a line break.
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+|\n+")
_WORD = re.compile(r"\w+")
_STOP_WORDS = """
a an and are as at be but by for from has have in is it its of on or that the this to was were will with
what which who how when where why do does did can could should would i you we they he she me my your our
"""
STOP_WORDS = frozenset(_STOP_WORDS.split())
K1 = 1.5
B = 0.75


def sentences(paragraph: str) -> list[str]:
    """The paragraph cut after each sentence end; each piece keeps its trailing whitespace, so they join back."""
    pieces: list[str] = []
    start = 0
    for match in _SENTENCE_END.finditer(paragraph):
        if match.end() > start:
            pieces.append(paragraph[start : match.end()])
            start = match.end()
    if start < len(paragraph):
        pieces.append(paragraph[start:])
    return pieces


def terms(text: str) -> list[str]:
    return [word for word in _WORD.findall(text.lower()) if word not in STOP_WORDS]


def bm25_scores(documents: list[str], query: str) -> list[float]:
    """Okapi BM25 of each document (here: each sentence of one paragraph) for the query's terms."""
    tokenized = [terms(d) for d in documents]
    query_terms = set(terms(query))
    if not tokenized or not query_terms:
        return [0.0] * len(documents)
    average = sum(len(t) for t in tokenized) / len(tokenized) or 1.0
    frequency = Counter(term for t in tokenized for term in set(t))
    n = len(tokenized)
    scores: list[float] = []
    for words in tokenized:
        counts = Counter(words)
        score = 0.0
        for term in query_terms & counts.keys():
            idf = math.log(1 + (n - frequency[term] + 0.5) / (frequency[term] + 0.5))
            tf = counts[term]
            score += idf * tf * (K1 + 1) / (tf + K1 * (1 - B + B * len(words) / average))
        scores.append(score)
    return scores
