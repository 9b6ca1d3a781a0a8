"""What each optimizer does, one behaviour at a time, through the public `optimize` entry point."""

from __future__ import annotations

import json
from typing import Any

from killtoken_proxy.gateway.optimize import balanced
from killtoken_proxy.gateway.optimize.engine import optimize
from killtoken_proxy.gateway.optimize.messages import prompt_tokens
from killtoken_proxy.gateway.optimize.tokens import load_tokenizers

COUNTER = load_tokenizers(None).for_model("gpt-4")
QUESTION = {"role": "user", "content": "What now?"}


def run(messages: list[dict[str, Any]], mode: str = "safe") -> list[dict[str, Any]]:
    return optimize(messages, mode, COUNTER).messages  # type: ignore[arg-type]


def applied(messages: list[dict[str, Any]], mode: str) -> dict[str, int]:
    result = optimize(messages, mode, COUNTER)  # type: ignore[arg-type]
    return {step.name: step.tokens_removed for step in result.steps if step.applied and step.edits}


def sentences(count: int, topic: str) -> str:
    return " ".join(f"Sentence {i} talks about {topic} in some detail for the reader." for i in range(count))


# -- safe ------------------------------------------------------------------------------------------
def test_measure_only_sends_the_very_same_messages_and_measures_the_other_modes():
    messages = [{"role": "system", "content": "Be   brief.\n\n\n\nBe kind."}, QUESTION]
    result = optimize(messages, "measure_only", COUNTER)
    assert result.messages is messages and result.tokens_removed == 0
    assert result.removed_by("safe") > 0
    assert all(not step.applied for step in result.steps)


def test_invisible_characters_go_from_prose_but_not_from_code():
    text = "Zero\u200bwidth\ufeff text.\n\n```\nkeep\u200bthis\n```\nand `inline\u200bcode` too"
    out = run([{"role": "assistant", "content": text}, QUESTION])[0]["content"]
    assert out == "Zerowidth text.\n\n```\nkeep\u200bthis\n```\nand `inline\u200bcode` too"


def test_json_is_compacted_exactly_as_written_and_fenced_json_is_left_alone():
    pretty = '{\n  "price": 1.10,\n  "note": "two  spaces \\u00e9",\n  "list": [\n    1,\n    2\n  ]\n}'
    tool = {"role": "tool", "tool_call_id": "c1", "content": pretty}
    call = {"role": "assistant", "content": None, "tool_calls": [{"id": "c1", "type": "function", "function": {}}]}
    fenced = f"Here:\n```json\n{pretty}\n```"
    embedded = f"Result below:\n{pretty}\nThat is all."
    out = run(
        [QUESTION, call, tool, {"role": "assistant", "content": fenced}, {"role": "assistant", "content": embedded}]
    )
    assert out[2]["content"] == '{"price":1.10,"note":"two  spaces \\u00e9","list":[1,2]}'
    assert out[3]["content"] == fenced
    assert out[4]["content"] == 'Result below:\n{"price":1.10,"note":"two  spaces \\u00e9","list":[1,2]}\nThat is all.'


def test_whitespace_is_normalised_outside_code_and_indentation_is_kept():
    text = "\n\nFirst   line   \n  - item\u00a0one\n\n\n\n\n    indented code   kept\n\nLast\t\tline  \n\n"
    out = run([{"role": "user", "content": text}, QUESTION])[0]["content"]
    assert out == "First line\n  - item one\n\n    indented code   kept\n\nLast\t\tline"


def test_duplicate_system_messages_and_repeated_instruction_paragraphs_go_but_short_repeats_stay():
    rule = "Always cite the document number for every claim that you make in the answer."
    system = f"{rule}\n\nExample:\nQ: a\n\nExample:\nQ: b\n\n{rule}"
    out = run([{"role": "system", "content": system}, {"role": "system", "content": system}, QUESTION])
    assert out == [{"role": "system", "content": f"{rule}\n\nExample:\nQ: a\n\nExample:\nQ: b"}, QUESTION]


def test_the_last_user_turn_is_never_touched_in_any_mode():
    last = {
        "role": "user",
        "content": "  Padded\u200b   question  \n\n\n" + sentences(40, "storage") + '\n\n{\n "a": 1\n}',
    }
    messages = [{"role": "system", "content": "Be   brief."}, last]
    for mode in ("safe", "balanced", "aggressive"):
        assert run(messages, mode)[-1] is last


# -- balanced --------------------------------------------------------------------------------------
def test_repeated_passages_keep_the_latest_copy_and_leave_a_marker():
    doc = sentences(6, "retention")
    turns = [
        {"role": "user", "content": f"Doc:\n\n{doc}\n\nQ1?"},
        {"role": "assistant", "content": "A1."},
        {"role": "user", "content": f"Doc:\n\n{doc}\n\nQ2?"},
        {"role": "assistant", "content": "A2."},
        {"role": "user", "content": f"Doc:\n\n{doc}\n\nQ3?"},
    ]
    out = run(turns, "balanced")
    assert out[0]["content"] == out[2]["content"].replace("Q2", "Q1")
    assert out[0]["content"] == f"Doc:\n\n{balanced.REPEAT_MARKER}\n\nQ1?"
    assert out[4] == turns[4]
    assert applied(turns, "balanced")["dedupe_passages"] > 0


def test_only_whole_paragraphs_are_deduplicated_not_a_passage_inside_a_longer_one():
    """README (balanced): "a paragraph of 30+ tokens repeated across turns", not any repeated passage."""
    doc = sentences(6, "retention")
    turns = [
        {"role": "user", "content": f"Doc: {doc} First question?"},
        {"role": "assistant", "content": "A1."},
        {"role": "user", "content": f"Again: {doc} Second question?"},
        {"role": "assistant", "content": "A2."},
        QUESTION,
    ]
    assert run(turns, "balanced") == turns


def test_a_passage_already_in_the_system_prompt_is_dropped_from_earlier_turns_not_from_the_system():
    doc = sentences(6, "pricing")
    system = {"role": "system", "content": f"Context:\n\n{doc}"}
    out = run([system, {"role": "user", "content": doc}, {"role": "assistant", "content": "Ok."}, QUESTION], "balanced")
    assert out[0] == system and out[1]["content"] == balanced.REPEAT_MARKER


def test_long_tool_output_keeps_head_and_tail_around_a_counted_marker():
    rows = [{"id": i, "status": "shipped", "country": "DE"} for i in range(600)]
    call = {"role": "assistant", "content": None, "tool_calls": [{"id": "c1", "type": "function", "function": {}}]}
    tool = {"role": "tool", "tool_call_id": "c1", "content": "\n".join(json.dumps(r) for r in rows)}
    out = run([QUESTION, call, tool], "balanced")[2]["content"]
    assert out.startswith('{"id": 0, ') and out.endswith('{"id": 599, "status": "shipped", "country": "DE"}')
    assert "tokens trimmed by KillToken" in out
    assert balanced.TOOL_OUTPUT_BUDGET * 0.9 < COUNTER.count(out) <= balanced.TOOL_OUTPUT_BUDGET + 20


def test_code_blocks_inside_a_trimmed_tool_output_survive_whole():
    log = "\n".join(f"line {i} ok" for i in range(800))
    code = "```\nTraceback: boom   here\n```\n"
    call = {"role": "assistant", "content": None, "tool_calls": [{"id": "c1", "type": "function", "function": {}}]}
    later = "\n".join(f"line {i} ok" for i in range(800, 1600))
    tool = {"role": "tool", "tool_call_id": "c1", "content": f"{log}\n\n{code}\n{later}"}
    out = run([QUESTION, call, tool], "balanced")[2]["content"]
    assert code in out and out.count("tokens trimmed by KillToken") == 2


def test_history_over_budget_drops_whole_oldest_turns_and_keeps_tool_pairs_together():
    filler = sentences(60, "history")  # ~800 tokens per turn
    messages: list[dict[str, Any]] = [{"role": "system", "content": "You are helpful."}]
    for turn in range(12):
        call_id = f"c{turn}"
        messages += [
            {"role": "user", "content": f"Question {turn}: {filler}"},
            {"role": "assistant", "content": None, "tool_calls": [{"id": call_id, "type": "function", "function": {}}]},
            {"role": "tool", "tool_call_id": call_id, "content": f"result {turn}"},
            {"role": "assistant", "content": f"Answer {turn}."},
        ]
    messages.append({"role": "user", "content": "Final question?"})
    out = run(messages, "balanced")
    assert out[0] == messages[0] and out[-1] == messages[-1]
    assert prompt_tokens(out, COUNTER.count) <= balanced.HISTORY_BUDGET
    first_kept = out[1]
    assert first_kept["role"] == "user" and first_kept["content"].startswith("Question ")
    kept_turn = int(first_kept["content"].split()[1].rstrip(":"))
    assert out[1:-1] == messages[1 + 4 * kept_turn : -1], "a suffix of whole turns, in order"
    assert kept_turn > 0


def test_short_history_is_kept_entirely():
    messages = [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}, QUESTION]
    assert run(messages, "balanced") == messages


# -- aggressive ------------------------------------------------------------------------------------
def test_extractive_compression_keeps_the_lead_and_the_sentences_about_the_question():
    document = " ".join(
        [
            "Acme Storage overview for customers.",
            *[f"Filler sentence {i} describes the office plants and the weather outside." for i in range(8)],
            "Archive restores take between 3 and 12 hours to complete.",
            *[f"Another filler sentence {i} mentions the cafeteria menu today." for i in range(8)],
        ]
    )
    messages = [
        {"role": "system", "content": f"Documents:\n\n{document}"},
        {"role": "user", "content": "How long do archive restores take?"},
    ]
    out = run(messages, "aggressive")[0]["content"]
    assert out.startswith("Documents:\n\nAcme Storage overview for customers.")
    assert "Archive restores take between 3 and 12 hours to complete." in out
    assert "…" in out and COUNTER.count(out) < COUNTER.count(messages[0]["content"]) * 0.7


def test_filler_words_go_from_context_but_not_from_quotes_code_numbers_or_negations():
    text = (
        'It is important to note that the server is basically not ready in order to serve "the  very  first" '
        "request; run `the actually command` and wait 3 minutes for the cache."
    )
    out = run([{"role": "assistant", "content": text}, QUESTION], "aggressive")[0]["content"]
    assert out.startswith('server is not ready to serve "the  very  first" request; run `the actually command`')
    assert "3 minutes" in out and " the " not in out.replace('"the  very  first"', "").replace(
        "`the actually command`", ""
    )


def test_instructions_shorter_than_a_document_are_not_compressed():
    system = {
        "role": "system",
        "content": "You are a very helpful assistant. Answer the question in the language of the user.",
    }
    assert run([system, QUESTION], "aggressive")[0] == system


def test_modes_are_cumulative_and_deterministic():
    doc = sentences(20, "billing")
    messages = [
        {"role": "system", "content": f"Docs:   \n\n{doc}"},
        {"role": "user", "content": f"{doc}\n\nQ1?"},
        {"role": "assistant", "content": "A1."},
        {"role": "user", "content": "What about billing?"},
    ]
    removed = [
        optimize(messages, m, COUNTER).tokens_removed for m in ("measure_only", "safe", "balanced", "aggressive")
    ]
    assert removed[0] == 0 < removed[1] < removed[2] < removed[3]
    assert run(messages, "aggressive") == run(json.loads(json.dumps(messages)), "aggressive")


def test_big_prompts_are_optimized_off_the_event_loop_with_the_same_result(monkeypatch: Any):
    import asyncio
    import threading

    from killtoken_proxy.gateway.chat_request import ChatRequest
    from killtoken_proxy.gateway.optimize import stage

    optimizer = stage.PromptOptimizer(load_tokenizers(None), price=lambda tenant, provider, model, tokens: None)
    big = ChatRequest(
        provider="openai",
        model="gpt-4",
        messages=[{"role": "user", "content": sentences(stage.OFFLOAD_CHARS // 40, "load")}, QUESTION],
        optimization_mode="balanced",
    )
    threads: list[str] = []
    real_report = optimizer.report

    def spy(*args: Any) -> Any:
        threads.append(threading.current_thread().name)
        return real_report(*args)

    monkeypatch.setattr(optimizer, "report", spy)
    request, report = asyncio.run(optimizer.apply(big, "tn_test", "openai"))
    small, _ = asyncio.run(optimizer.apply(ChatRequest("openai", "gpt-4", [QUESTION]), "tn_test", "openai"))
    assert threads[0] != threading.main_thread().name and threads[1] == threading.main_thread().name
    assert request.messages == real_report(big.messages, "balanced", "tn_test", "openai", "gpt-4").messages
    assert report.savings_usd is None and small.messages == [QUESTION]


# -- Anthropic-shaped conversations (the Anthropic door passes its messages through as they are) -----
def _tool_use(call_id: str) -> dict[str, Any]:
    return {"role": "assistant", "content": [{"type": "tool_use", "id": call_id, "name": "lookup", "input": {"q": 1}}]}


def _tool_result(call_id: str, content: Any) -> dict[str, Any]:
    return {"role": "user", "content": [{"type": "tool_result", "tool_use_id": call_id, "content": content}]}


def test_an_anthropic_tool_result_is_not_mistaken_for_the_users_question():
    question = {"role": "user", "content": [{"type": "text", "text": f"{sentences(700, 'contracts')}\n\nIs it legal?"}]}
    messages = [question, _tool_use("t1"), _tool_result("t1", "Sunny, 24C")]
    out = run(messages, "balanced")
    assert out == messages, "the question is the last user turn: kept verbatim, with its tool call and result"


def test_anthropic_history_drops_whole_turns_and_never_orphans_a_tool_result():
    filler = sentences(60, "history")
    messages: list[dict[str, Any]] = []
    for turn in range(12):
        messages += [
            {"role": "user", "content": f"Question {turn}: {filler}"},
            _tool_use(f"t{turn}"),
            _tool_result(f"t{turn}", f"result {turn}"),
            {"role": "assistant", "content": f"Answer {turn}."},
        ]
    messages.append({"role": "user", "content": "Final question?"})
    out = run(messages, "balanced")
    assert len(out) < len(messages) and out[-1] == messages[-1]
    assert isinstance(out[0]["content"], str) and out[0]["content"].startswith("Question "), "starts at a user turn"
    kept_turn = int(out[0]["content"].split()[1].rstrip(":"))
    assert out == messages[4 * kept_turn :], "a suffix of whole turns: each tool_use keeps its tool_result"


def test_a_long_anthropic_tool_result_is_trimmed_like_a_tool_message():
    rows = "\n".join(json.dumps({"id": i, "status": "shipped"}) for i in range(600))
    for content in (rows, [{"type": "text", "text": rows}]):
        out = run([QUESTION, _tool_use("t1"), _tool_result("t1", content)], "balanced")
        result = out[2]["content"][0]
        text = result["content"] if isinstance(result["content"], str) else result["content"][0]["text"]
        assert result["tool_use_id"] == "t1" and "tokens trimmed by KillToken" in text
        assert text.startswith('{"id": 0, ') and text.endswith('{"id": 599, "status": "shipped"}')
        assert COUNTER.count(text) <= balanced.TOOL_OUTPUT_BUDGET + 20


def test_anthropic_tool_calls_and_results_count_toward_the_prompt_estimate():
    bare = prompt_tokens([_tool_use("t1"), {"role": "user", "content": []}], COUNTER.count)
    full = prompt_tokens([_tool_use("t1"), _tool_result("t1", sentences(20, "weather"))], COUNTER.count)
    assert full - bare >= COUNTER.count(sentences(20, "weather"))
    assert bare > prompt_tokens([{"role": "assistant", "content": []}, {"role": "user", "content": []}], COUNTER.count)


def _results_then_text(call_id: str, text: str) -> dict[str, Any]:
    """Anthropic's shape for answering tool calls and asking on in one message: results first, then text."""
    result = _tool_result(call_id, f"result of {call_id}")["content"]
    return {"role": "user", "content": [*result, {"type": "text", "text": text}]}


def test_a_question_sent_with_tool_results_keeps_the_turn_whose_calls_they_answer():
    messages = [
        {"role": "user", "content": f"Question 0: {sentences(700, 'history')}"},
        _tool_use("t0"),
        _results_then_text("t0", "And also summarise it."),
    ]
    out = run(messages, "balanced")
    assert len(out) == 3 and out[1:] == messages[1:], "the call and its results stay; the question is verbatim"
    assert "tokens trimmed by KillToken" in out[0]["content"], "the long paragraph before is still trimmed"


def test_dropping_a_turn_drops_the_tool_results_that_answer_it_from_the_next_message():
    filler = sentences(60, "history")
    messages: list[dict[str, Any]] = [{"role": "user", "content": f"Question 0: {filler}"}, _tool_use("t0")]
    for turn in range(1, 12):
        messages += [_results_then_text(f"t{turn - 1}", f"Question {turn}: {filler}"), _tool_use(f"t{turn}")]
    messages.append(_results_then_text("t11", "Final question?"))
    out = run(messages, "balanced")
    assert len(out) < len(messages) and out[-1] == messages[-1] and out[-2] == messages[-2]
    uses = {p["id"] for m in out if m["role"] == "assistant" for p in m["content"] if p["type"] == "tool_use"}
    results = [p["tool_use_id"] for m in out if m["role"] == "user" for p in m["content"] if p["type"] == "tool_result"]
    assert results and set(results) <= uses, "every tool_result kept answers a tool_use kept"
    first = out[0]["content"]
    assert [p["type"] for p in first] == ["text"] and first[0]["text"].startswith("Question "), "its text stays"
