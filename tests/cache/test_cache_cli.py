"""`kt cache stats|clear` in-process (no daemon): each command opens the store afresh, like a restart."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from killtoken_cli.commands.cache import parse_duration
from killtoken_cli.connection import connect
from killtoken_cli.main import app
from tests.cache.conftest import HELLO, GatedOpenAI
from tests.conftest import PROVIDER_SECRET

runner = CliRunner()


def test_duration_parsing():
    assert [parse_duration(v) for v in ("90s", "30m", "12h", "7d", "1.5h")] == [90, 1800, 43200, 604800, 5400]


def test_stats_and_clear_through_the_cli(upstream: GatedOpenAI, monkeypatch: pytest.MonkeyPatch):
    assert runner.invoke(app, ["init"]).exit_code == 0
    monkeypatch.setenv("MY_KEY", PROVIDER_SECRET)
    added = runner.invoke(
        app, ["credentials", "add", "openai", "--from-env", "MY_KEY", "--base-url", upstream.base_url]
    )
    assert added.exit_code == 0, added.output
    metrics = []
    for _ in range(2):
        with connect() as client:  # a fresh in-process app each time: the entry comes back from disk
            _, m = client.chat(
                provider="openai", model="gpt-4.1-mini", messages=HELLO, cache_policy={"exactCache": "read_write"}
            )
            metrics.append(m)
    assert [m["cacheStatus"] for m in metrics] == ["miss", "hit"] and len(upstream.received) == 1

    stats = runner.invoke(app, ["cache", "stats", "--json"])
    assert stats.exit_code == 0, stats.output
    data = json.loads(stats.stdout)
    assert (data["tenant"], data["entries"], data["lookups"], data["hits"], data["hitRate"]) == (
        "default",
        1,
        2,
        1,
        0.5,
    )
    assert data["verifiedSavingsUsd"] == metrics[0]["costUsd"]
    table = runner.invoke(app, ["cache", "stats"])
    assert "50.0%" in table.stdout and f"${metrics[0]['costUsd']}" in table.stdout

    wrong = runner.invoke(app, ["cache", "clear", "--tenant", "someone-else"])
    assert wrong.exit_code == 1 and "tenant_not_found" in wrong.stderr
    kept = runner.invoke(app, ["cache", "clear", "--older-than", "1h", "--json"])
    assert json.loads(kept.stdout) == {"removed": 0, "freedBytes": 0}
    cleared = runner.invoke(app, ["cache", "clear", "--tenant", "default"])
    assert cleared.exit_code == 0 and "Removed 1 cached answer(s)" in cleared.stderr
    assert json.loads(runner.invoke(app, ["cache", "stats", "--json"]).stdout)["entries"] == 0


def test_bad_duration_is_a_usage_error():
    result = runner.invoke(app, ["cache", "clear", "--older-than", "soon"])
    assert result.exit_code == 2 and "not a duration" in result.output


def test_a_duration_without_a_unit_is_refused_before_anything_is_removed():
    """`--older-than 2` removed every entry older than 2 seconds: the user meant hours or days."""
    result = runner.invoke(app, ["cache", "clear", "--older-than", "2"])
    assert result.exit_code == 2, result.output
    assert "'2' has no unit: 2s, 2m, 2h or 2d" in result.stderr


def test_a_malformed_tuning_variable_is_named(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("KILLTOKEN_CACHE_MAX_MB", "lots")
    result = runner.invoke(app, ["cache", "stats"])
    assert result.exit_code == 2 and "KILLTOKEN_CACHE_MAX_MB must be a positive number" in result.stderr
