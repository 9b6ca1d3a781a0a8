"""`kt analytics`, `kt export`, `kt report roi`, `kt prices` and `kt requests` filters, in-process."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from killtoken_cli.main import app
from killtoken_proxy.reports.csv_export import HEADER
from killtoken_proxy.settings import Settings
from tests.fakes.ledger_records import T0, record, varied
from tests.fakes.live_app import seed_ledger, tenant_ids

runner = CliRunner()


@pytest.fixture
def me(settings: Settings) -> str:
    """`kt init` has run; the default tenant's id."""
    assert runner.invoke(app, ["init"]).exit_code == 0
    return tenant_ids(settings, "default")["default"]


@pytest.fixture
def seeded(settings: Settings, me: str) -> list[dict]:
    records = varied(600)
    for r in records:
        r["tenant_id"] = me if r["tenant_id"] == "tn_a" else "tn_someone_else"
    seed_ledger(settings, records)
    return [r for r in records if r["tenant_id"] == me]


def kt(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_analytics_shows_totals_and_a_spend_bar_per_feature(seeded: list[dict]):
    code, out, err = kt("analytics", "--period", "all")
    assert code == 0, err
    chart = out[out.index("Spend per feature") :]
    top = next(line for line in chart.splitlines()[1:] if "%" in line)
    assert "█" * 20 in top  # the largest spend gets the full bar
    for feature in ("weekly-summary", "content-moderation", "(untagged)", "search"):
        assert feature in out
    assert "Cache opportunity" in out and "unpriced" in out
    code, out, _ = kt("analytics", "--period", "all", "--json")
    summary = json.loads(out)
    assert summary["totals"]["requests"] == len(seeded)
    code, out, _ = kt("report", "roi", "--period", "all", "--json")
    assert Decimal(json.loads(out)["spendUsd"]) == Decimal(summary["totals"]["spendUsd"])


def test_export_requests_as_csv_and_json(seeded: list[dict], tmp_path: Path):
    target = tmp_path / "out" / "requests.csv"
    code, _, err = kt("export", "requests", "--out", str(target), "--period", "all")
    assert code == 0, err
    assert f"Wrote {len(seeded):,} request(s)" in err
    header, *rows = list(csv.reader(io.StringIO(target.read_text())))
    assert tuple(header) == HEADER and len(rows) == len(seeded)

    as_json = tmp_path / "requests.json"
    code, _, err = kt("export", "requests", "--out", str(as_json), "--format", "json", "--status", "error")
    assert code == 0, err
    records = json.loads(as_json.read_text())
    errors = sorted(r["id"] for r in seeded if r["status"] != 200)
    assert [r["id"] for r in records] == errors and all("tenant_id" not in r for r in records)
    assert not list(tmp_path.glob(".*"))  # temp files renamed into place

    analytics = tmp_path / "analytics.json"
    assert kt("export", "analytics", "--out", str(analytics), "--period", "all")[0] == 0
    assert json.loads(analytics.read_text())["daily"]


def test_exported_cells_a_spreadsheet_would_run_are_neutralised_and_numbers_kept(
    settings: Settings, me: str, tmp_path: Path
):
    attacks = {trigger: f"{trigger}SUM(1+1)*cmd|' /C calc'!A0" for trigger in ("=", "+", "-", "@", "\t", "\r")}
    records = [record(T0 + timedelta(minutes=i), tenant=me, feature=text) for i, text in enumerate(attacks.values())]
    records.append(record(T0 + timedelta(hours=1), tenant=me, feature="a=b+c", model="-mini", error="@evil"))
    # A CR inside a cell must not end the row: the rest would open a new row's first cell, unneutralised.
    records.append(record(T0 + timedelta(hours=2), tenant=me, feature='ok\r=HYPERLINK("http://x.example")'))
    seed_ledger(settings, records)
    target = tmp_path / "requests.csv"
    code, _, err = kt("export", "requests", "--out", str(target), "--period", "all")
    assert code == 0, err
    with target.open(newline="") as exported:  # as a spreadsheet reads it: a lone \r ends a row
        rows = {row["id"]: row for row in csv.DictReader(exported)}
    assert list(rows) == [r["id"] for r in records]
    for sent, text in zip(records, attacks.values(), strict=False):
        assert rows[sent["id"]]["feature"] == "'" + text.replace("\r", "\n")  # a CR is written as a line feed
    assert rows[records[-1]["id"]]["feature"] == 'ok\n=HYPERLINK("http://x.example")'
    other = rows[records[-2]["id"]]
    assert (other["feature"], other["model"], other["error"]) == ("a=b+c", "'-mini", "'@evil")
    # Numbers are written by the exporter, never taken for formulas: they come out as they are.
    numbers = ("status", "prompt_tokens", "total_tokens", "cost_usd", "spend_usd", "latency_ms")
    assert [other[name] for name in numbers] == ["200", "1000", "1200", "0.0012", "0.0012", "120.5"]
    for row in rows.values():
        assert not any(cell.startswith(tuple(attacks)) for cell in row.values())
    # The ROI report's CSV names features in cells too.
    code, out, err = kt("report", "roi", "--period", "all", "--format", "csv")
    assert code == 0, err
    header, *lines = list(csv.reader(io.StringIO(out, newline="")))
    assert all(len(line) == len(header) for line in lines)
    features = {line[1] for line in lines if line[0] == "feature"}
    assert {"'" + text.replace("\r", "\n") for text in attacks.values()} <= features
    assert 'ok\n=HYPERLINK("http://x.example")' in features


def test_exports_without_out_write_to_stdout(seeded: list[dict]):
    """The README's `kt export analytics` has no --out: data goes to stdout, the message to stderr."""
    code, out, err = kt("export", "analytics", "--period", "all")
    assert code == 0, err
    assert json.loads(out)["daily"] and "to stdout" in err
    code, out, err = kt("export", "requests", "--period", "all")
    assert code == 0, err
    header, *rows = list(csv.reader(io.StringIO(out)))
    assert tuple(header) == HEADER and len(rows) == len(seeded)
    code, out, err = kt("export", "requests", "--period", "all", "--format", "json", "--status", "error")
    assert code == 0, err
    assert sorted(r["id"] for r in json.loads(out)) == sorted(r["id"] for r in seeded if r["status"] != 200)


def test_report_roi_as_table_markdown_and_csv(seeded: list[dict]):
    code, out, err = kt("report", "roi", "--period", "all")
    assert code == 0, err
    assert "Net savings" in out and "Per feature" in out and "Assumptions" in err
    code, out, _ = kt("report", "roi", "--period", "all", "--format", "md", "--feature", "search")
    assert out.startswith("# KillToken ROI for feature `search`") and "## Assumptions" in out
    code, out, _ = kt("report", "roi", "--period", "all", "--format", "csv")
    assert next(csv.reader(io.StringIO(out)))[0] == "section"
    assert kt("report", "roi", "--format", "xlsx")[0] == 2


def test_report_roi_shows_the_rate_as_a_percent_and_dates_readably_in_table_and_markdown(seeded: list[dict]):
    report = json.loads(kt("report", "roi", "--from", "2026-06-01", "--json")[1])
    percent = f"{Decimal(report['savingsRate']):.1%}"
    table = kt("report", "roi", "--from", "2026-06-01")[1]
    md = kt("report", "roi", "--from", "2026-06-01", "--format", "md")[1]
    assert cells(table)["Savings rate"] == [percent] and f"| Savings rate | {percent} |" in md
    assert table.startswith("KillToken ROI, 2026-06-01 to now, UTC")
    assert "Period: 2026-06-01 to now, UTC. Currency: USD." in md
    hours = kt("report", "roi", "--from", "2026-06-01T12:30:00Z", "--to", "2026-06-03", "--format", "md")[1]
    assert "Period: 2026-06-01 12:30 to 2026-06-03, UTC." in hours


@pytest.fixture
def unpriced(settings: Settings) -> None:
    """6 unpriced calls (search), 1 priced call that cost exactly 0 (free), 12 rejected before routing."""
    assert runner.invoke(app, ["init"]).exit_code == 0
    me = tenant_ids(settings, "default")["default"]
    llama = {"provider": "openai_compatible", "model": "llama-3.1-8b", "cost": None, "feature": "search"}
    records = [record(T0 + timedelta(minutes=i), tenant=me, **llama) for i in range(6)]
    records.append(record(T0 + timedelta(minutes=7), tenant=me, feature="free", cost="0"))
    records += [
        record(T0 + timedelta(minutes=8 + i), tenant=me, provider=None, model=None, status=400) for i in range(12)
    ]
    seed_ledger(settings, records)


def cells(table: str) -> dict[str, list[str]]:
    """A rich table's rows by their first cell."""
    rows = [[c.strip() for c in line.split("│")[1:-1]] for line in table.splitlines() if line.startswith("│")]
    return {row[0]: row[1:] for row in rows}


def test_reports_name_the_no_provider_row_alike_and_never_show_unpriced_spend_as_0(unpriced: None):
    out = kt("analytics", "--period", "all")[1]
    analytics = cells(out)
    roi = cells(kt("report", "roi", "--period", "all")[1])
    assert analytics["(no provider)"][0] == roi["(no provider)"][0] == "12"
    assert roi["Requests"] == ["19"] and roi["Billed requests"] == ["7 (6 unpriced)"]
    assert roi["Spend"] == ["$0"] and roi["free"][1] == "$0"  # a priced call that really cost 0
    assert roi["search"][1:] == ["unpriced", "n/a", "n/a", "n/a"]
    assert analytics["openai_compatible llama-3.1-8b"][1] == "unpriced"
    chart = out[out.index("Spend per feature") : out.index("Per provider and model")]
    assert next(line for line in chart.splitlines() if " search " in line).split()[-2] == "unpriced"
    md = kt("report", "roi", "--period", "all", "--format", "md")[1]
    assert "| Billed requests | 7 (6 unpriced) |" in md and "| (no provider) | 12 |" in md
    assert "| search | 6 | unpriced | n/a | n/a | n/a |" in md
    assert "(no provider)" in kt("report", "roi", "--period", "all", "--format", "csv")[1]

    only = cells(kt("report", "roi", "--period", "all", "--feature", "search")[1])
    assert (
        only["Spend"] == ["unpriced"] and only["Cost without KillToken"] == ["n/a"] and only["Savings rate"] == ["n/a"]
    )
    md = kt("report", "roi", "--period", "all", "--feature", "search", "--format", "md")[1]
    assert "| Spend | unpriced |" in md and "$0" not in md
    assert cells(kt("analytics", "--period", "all", "--feature", "search")[1])["Spend"] == ["unpriced"]


def test_prices_set_list_show_and_remove(seeded: list[dict]):
    code, _, err = kt(
        "prices",
        "set",
        "openai_compatible",
        "org/my-model",
        "--input",
        "0.5",
        "--output",
        "1.5",
        "--cached-input",
        "0.1",
    )
    assert code == 0, err
    listed = json.loads(kt("prices", "list", "--json")[1])
    assert [(p["model"], p["input"], p["cachedInput"], p["cacheWrite"]) for p in listed] == [
        ("org/my-model", "0.5", "0.1", None)
    ]
    shown = json.loads(kt("prices", "show", "openai_compatible", "org/my-model", "--json")[1])
    assert shown["source"] == "override" and shown["cacheWrite"] == "0.5"
    assert "org/my-model" in kt("prices", "list")[1]
    assert kt("prices", "remove", "openai_compatible", "org/my-model")[0] == 0
    code, _, err = kt("prices", "show", "openai_compatible", "org/my-model")
    assert code == 1 and "kt prices set" in err
    code, _, err = kt("prices", "set", "openai", "m", "--input", "-3", "--output", "1")
    assert code == 1 and "invalid_price" in err


def test_requests_list_filters_and_pages(seeded: list[dict]):
    code, out, err = kt("requests", "list", "--feature", "search", "--status", "ok", "--limit", "5", "--json")
    assert code == 0, err
    rows = json.loads(out)
    expected = sorted((r["id"] for r in seeded if r["feature"] == "search" and r["status"] == 200), reverse=True)
    assert [r["id"] for r in rows] == expected[:5]
    assert f"--before {expected[4]}" in err
    older = json.loads(
        kt("requests", "list", "--feature", "search", "--status", "ok", "--before", expected[4], "--json")[1]
    )
    assert older[0]["id"] == expected[5]
    assert "unpriced" in kt("requests", "list", "--provider", "openai_compatible", "--status", "ok")[1]
    code, _, err = kt("requests", "list", "--cache-status", "lukewarm")
    assert code == 1 and "invalid_filter" in err


def test_requests_list_tells_cache_hits_and_replays_from_other_0_dollar_calls(settings: Settings, me: str):
    kinds = {
        "hit": {"cache_status": "hit", "cost": "0"},
        "replay": {"replay": True, "cost": "0", "original_request_id": "req_original"},
        "miss": {"cache_status": "miss"},
        "bypass": {"cost": "0"},  # a priced call that really cost 0
    }
    records = {
        name: record(T0 + timedelta(minutes=i), tenant=me, **fields) for i, (name, fields) in enumerate(kinds.items())
    }
    seed_ledger(settings, list(records.values()))
    code, out, err = kt("requests", "list", "--period", "all")
    assert code == 0, err
    table = cells(out)
    assert "cache" in out.splitlines()[2]
    for name, sent in records.items():
        assert table[sent["id"]][6] == name, table[sent["id"]]


@pytest.mark.parametrize("command", [("requests", "list"), ("analytics",), ("report", "roi"), ("export", "requests")])
def test_a_period_without_a_unit_is_a_usage_error_naming_the_forms(me: str, command: tuple[str, ...]):
    code, out, err = kt(*command, "--period", "2")
    assert code == 2 and out == "" and "'2' has no unit: 2h, 2d or 2w (or all)" in err
    code, _, err = kt(*command, "--period", "30m")
    assert code == 2 and "30d, 24h, 4w or all" in err
    assert kt(*command, "--period", "7D")[0] == 0


def test_requests_show_prints_every_field_of_one_request_and_names_an_unknown_id(settings: Settings, me: str):
    shown = record(
        T0, tenant=me, feature="weekly-summary", provider="anthropic", model="claude-sonnet-4-5", cost="0.0042"
    )
    someone_elses = record(T0 + timedelta(minutes=1), tenant="tn_someone_else")
    seed_ledger(settings, [shown, someone_elses])
    expected = {k: v for k, v in shown.items() if k != "tenant_id"} | {"spend_usd": "0.0042"}

    code, out, err = kt("requests", "show", shown["id"])
    assert code == 0, err
    table = dict(re.findall(r"^│ (\w+) +│ (.*?) *│$", out, re.MULTILINE))
    assert table == {k: v if isinstance(v, str) else json.dumps(v) for k, v in expected.items()}
    code, out, err = kt("requests", "show", shown["id"], "--json")
    assert code == 0 and json.loads(out) == expected

    for unknown in ("req_01nosuchrequest0000000000", someone_elses["id"]):
        code, out, err = kt("requests", "show", unknown)
        assert code == 1 and out == ""
        assert f"No request '{unknown}' in this tenant" in err and "`kt requests list`" in err


def test_requests_show_prints_nested_fields_as_json_and_text_as_written(settings: Settings):
    assert runner.invoke(app, ["init"]).exit_code == 0
    shown = record(
        T0,
        tenant=tenant_ids(settings, "default")["default"],
        original_request_id=None,
        provider_usage={"input_tokens": 5, "cached": False},
        content={"messages": [{"role": "user", "content": "[repeated passage omitted by KillToken] Hi"}]},
    )
    seed_ledger(settings, [shown])
    code, out, err = kt("requests", "show", shown["id"])
    assert code == 0, err
    rows = {line.split("│")[1].strip(): line.split("│")[2].strip() for line in out.splitlines() if line.count("│") == 3}
    assert rows["replay"] == "false" and rows["original_request_id"] == "null" and rows["feature"] == "weekly-summary"
    assert rows["provider_usage"] == '{"input_tokens": 5, "cached": false}'
    assert '"[repeated passage omitted by KillToken] Hi"' in rows["content"]
    assert json.loads(kt("requests", "show", shown["id"], "--json")[1])["provider_usage"]["cached"] is False


def test_requests_settings_turns_content_storage_on_and_off(seeded: list[dict]):
    assert json.loads(kt("requests", "settings", "--json")[1]) == {"storeContent": False}
    code, _, err = kt("requests", "settings", "--store-content")
    assert code == 0 and "ARE stored" in err
    assert json.loads(kt("requests", "settings", "--no-store-content", "--json")[1]) == {"storeContent": False}
