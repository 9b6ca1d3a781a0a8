"""The optimizers on a corpus of realistic requests: tokens removed per mode, printed and asserted."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from killtoken_proxy.gateway.optimize.engine import optimize
from killtoken_proxy.gateway.optimize.messages import prompt_tokens
from killtoken_proxy.gateway.optimize.optimizer import MODES
from killtoken_proxy.gateway.optimize.tokens import TokenCounter, load_tokenizers
from tests.optimize_checks import assert_invariants

CORPUS = sorted((Path(__file__).parent / "data" / "optimize_corpus").glob("*.json"))


@pytest.fixture(scope="module")
def counter() -> TokenCounter:
    return load_tokenizers(None).for_model("gpt-4.1-mini")


def load(path: Path) -> dict[str, Any]:
    return dict(json.loads(path.read_text(encoding="utf-8")))


def test_the_corpus_covers_the_request_kinds_of_the_issue():
    names = {path.stem for path in CORPUS}
    assert {"rag_repeated_context", "long_chat", "tool_outputs_json", "code_heavy", "short_prompt"} <= names


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.stem)
def test_every_mode_keeps_the_invariants_and_is_deterministic(path: Path, counter: TokenCounter):
    messages = load(path)["request"]["messages"]
    original = copy.deepcopy(messages)
    for mode in MODES:
        result = optimize(messages, mode, counter)
        assert_invariants(original, result.messages)
        assert messages == original, "the input was mutated"
        assert optimize(copy.deepcopy(messages), mode, counter).messages == result.messages
        # The report's numbers are the real token counts of what goes upstream.
        assert result.tokens_after == prompt_tokens(result.messages, counter.count)
        assert result.tokens_before == prompt_tokens(original, counter.count)


def test_token_reduction_per_mode(counter: TokenCounter):
    rows: list[tuple[str, int, dict[str, int]]] = []
    for path in CORPUS:
        item = load(path)
        removed = {mode: optimize(item["request"]["messages"], mode, counter).tokens_removed for mode in MODES}
        rows.append((path.stem, optimize(item["request"]["messages"], "measure_only", counter).tokens_before, removed))
        assert removed["measure_only"] == 0
        assert 0 <= removed["safe"] <= removed["balanced"] <= removed["aggressive"], path.stem
        if item["padded"]:
            assert removed["safe"] > 0, f"{path.stem}: safe found nothing to remove in a padded request"
        for mode in item["gains"]:
            below = MODES[MODES.index(mode) - 1]
            assert removed[mode] > removed[below], f"{path.stem}: {mode} removed no more than {below}"
        if not item["padded"] and not item["gains"]:
            assert removed["aggressive"] == 0, f"{path.stem}: a tidy short prompt was changed"

    totals = {mode: sum(removed[mode] for _, _, removed in rows) for mode in MODES}
    rows.append(("whole corpus", sum(before for _, before, _ in rows), totals))
    print(f"\n{'request':<24}{'tokens':>8}" + "".join(f"{mode:>18}" for mode in MODES[1:]))
    for name, before, removed in rows:
        print(f"{name:<24}{before:>8}" + "".join(f"{-removed[m]:>10} ({removed[m] / before:>4.0%})" for m in MODES[1:]))
