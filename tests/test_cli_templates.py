"""`kt templates` and `kt optimize preview`, in-process (no daemon), as a user types them."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from killtoken_cli.main import app

runner = CliRunner()
CORPUS = Path(__file__).parent / "data" / "optimize_corpus"


def kt(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), input=stdin)
    return result.exit_code, result.stdout, result.stderr


def test_templates_add_edit_show_render_and_remove():
    assert kt("init")[0] == 0
    code, out, err = kt(
        "templates", "add", "support", "--system", "You answer for {{company}}.", "--user", "{{question}}",
        "--provider", "openai", "--model", "gpt-4.1-mini", "--json",
    )  # fmt: skip
    assert code == 0, err
    added = json.loads(out)
    assert added["variables"] == ["company", "question"] and added["version"] == 1

    code, _, err = kt("templates", "edit", "support", "--mode", "safe", "--user", "Q: {{question}}")
    assert code == 0 and "v2 of 2" in err
    listed = json.loads(kt("templates", "list", "--json")[1])
    assert [(t["name"], t["version"], t["optimizationMode"]) for t in listed] == [("support", 2, "safe")]
    assert json.loads(kt("templates", "show", added["id"], "--version", "1", "--json")[1])["messages"] == [
        {"role": "system", "content": "You answer for {{company}}."},
        {"role": "user", "content": "{{question}}"},
    ]
    assert json.loads(kt("templates", "show", "support", "--json")[1])["messages"] == [
        {"role": "system", "content": "You answer for {{company}}."},  # editing --user keeps the system message
        {"role": "user", "content": "Q: {{question}}"},
    ]
    code, out, _ = kt("templates", "render", "support", "--var", "company=Acme", "--var", "question=Where is it?")
    assert code == 0 and out == "--- system\nYou answer for Acme.\n--- user\nQ: Where is it?\n"
    code, _, err = kt("templates", "edit", "support", "--system", "You answer for {{company}}, briefly.")
    assert code == 0 and "v3 of 3" in err
    assert [m["content"] for m in json.loads(kt("templates", "show", "support", "--json")[1])["messages"]] == [
        "You answer for {{company}}, briefly.",
        "Q: {{question}}",
    ]

    code, _, err = kt("templates", "render", added["id"], "--version", "1", "--var", "company=Acme")
    assert code == 1 and "`question`" in err and "invalid_template_variables" in err
    code, _, err = kt("templates", "add", "support", "--user", "again")
    assert code == 1 and "kt templates edit support" in err
    assert kt("templates", "edit", "support")[0] == 2
    assert kt("templates", "remove", "support")[0] == 0
    assert json.loads(kt("templates", "list", "--json")[1]) == []


def test_templates_add_from_a_file_with_defaults(tmp_path: Path):
    assert kt("init")[0] == 0
    spec = tmp_path / "tpl.json"
    spec.write_text(json.dumps({"messages": [{"role": "user", "content": "Hi {{name}}"}], "model": "gpt-4.1-nano"}))
    code, out, err = kt("templates", "add", "hello", "--file", str(spec), "--json")
    assert code == 0, err
    assert json.loads(out)["model"] == "gpt-4.1-nano"
    code, _, err = kt("templates", "add", "empty")
    assert code == 2 and "--system/--user" in err


def test_optimize_preview_shows_the_diff_and_the_savings_without_calling_anyone():
    assert kt("init")[0] == 0
    request = json.loads((CORPUS / "rag_system_documents.json").read_text())["request"]
    code, out, err = kt("optimize", "preview", "--mode", "aggressive", stdin=json.dumps(request))
    assert code == 0, err
    assert out.startswith("--- original\n+++ aggressive\n")
    assert "-### [3] user" in out and "+### [2] user" in out  # the duplicate system prompt is gone
    assert "aggressive: " in out and "estimated savings $" in out and "at openai gpt-4.1-mini input price" in out
    code, out, _ = kt("optimize", "preview", "--json", stdin=json.dumps(request))  # the default mode: balanced
    result = json.loads(out)
    assert result["optimization"]["mode"] == "balanced" and result["original"] == request["messages"]
    assert result["optimization"]["tokensRemoved"] == result["optimization"]["shadow"]["balanced"]["tokensRemoved"]
    code, _, err = kt("optimize", "preview", stdin="{not json")
    assert code == 2 and "not valid JSON" in err


def test_the_readme_template_commands_work_as_written():
    import shlex

    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    block = readme.split("## Prompt templates", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    commands = [shlex.split(line, comments=True) for line in block.replace("\\\n", " ").splitlines() if line.strip()]
    assert [c[:3] for c in commands] == [[".venv/bin/kt", "templates", verb] for verb in ("add", "edit", "render")]
    assert kt("init")[0] == 0
    outputs = []
    for command in commands:
        code, out, err = kt(*command[1:])
        assert code == 0, err
        outputs.append(out)
    assert outputs[-1] == "--- system\nYou answer for Acme.\n--- user\nCustomer asks: Where is my order?\n"
