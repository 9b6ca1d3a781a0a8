"""The requests CSV: stable, documented columns, streamed in chunks, safe to open in a spreadsheet.

Text cells that a spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`, tab or carriage
return) get a leading apostrophe; numbers are written by us and never start with one of those. A carriage
return inside a text cell is written as a line feed: the csv module quotes a cell holding the line
terminator (`\n`) but not a lone `\r`, which every reader takes for the end of the row.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from killtoken_proxy.store.ledger.records import Record, feature_label, int_field

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
CHUNK_ROWS = 500


def safe_cell(value: Any) -> str:
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_TRIGGERS):
        text = "'" + text
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def _text(name: str) -> Callable[[Record], str]:
    return lambda r: safe_cell(r.get(name))


def _int(name: str) -> Callable[[Record], str]:
    return lambda r: str(int_field(r, name))


def _number(name: str) -> Callable[[Record], str]:
    def cell(record: Record) -> str:
        value = record.get(name)
        return str(value) if isinstance(value, int | float) and not isinstance(value, bool) else ""

    return cell


def _flag(name: str) -> Callable[[Record], str]:
    return lambda r: "true" if r.get(name) else "false"


# Column name -> how to render it. Append new columns at the end only: users' spreadsheets depend on order.
COLUMNS: tuple[tuple[str, Callable[[Record], str]], ...] = (
    ("id", _text("id")),
    ("created_at", _text("created_at")),
    ("feature", lambda r: safe_cell(feature_label(r))),
    ("provider", _text("provider")),
    ("model", _text("model")),
    ("provider_model", _text("provider_model")),
    ("door", _text("door")),
    ("status", _number("status")),
    ("error", _text("error")),
    ("cache_status", _text("cache_status")),
    ("replay", _flag("replay")),
    ("original_request_id", _text("original_request_id")),
    ("repeat_of", _text("repeat_of")),
    ("template_id", _text("template_id")),
    ("template_version", _text("template_version")),
    ("optimization_mode", _text("optimization_mode")),
    ("prompt_tokens", _int("prompt_tokens")),
    ("cached_prompt_tokens", _int("cached_prompt_tokens")),
    ("cache_write_tokens", _int("cache_write_tokens")),
    ("completion_tokens", _int("completion_tokens")),
    ("reasoning_tokens", _int("reasoning_tokens")),
    ("total_tokens", _int("total_tokens")),
    ("priced", lambda r: "true" if r.get("cost_usd") is not None else "false"),
    ("cost_usd", _text("cost_usd")),
    ("spend_usd", _text("spend_usd")),
    ("verified_savings_usd", _text("verified_savings_usd")),
    ("estimated_savings_usd", _text("estimated_savings_usd")),
    ("price_source", _text("price_source")),
    ("latency_ms", _number("latency_ms")),
    ("upstream_ms", _number("upstream_ms")),
    ("gateway_ms", _number("gateway_ms")),
    ("upstream_request_id", _text("upstream_request_id")),
    ("template_name", _text("template_name")),
)
HEADER = tuple(name for name, _ in COLUMNS)


def csv_chunks(records: Iterable[Record]) -> Iterator[str]:
    """The header, then rows in chunks of CHUNK_ROWS, as text ready to stream."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    for rows, record in enumerate(records, start=1):
        writer.writerow([render(record) for _, render in COLUMNS])
        if rows % CHUNK_ROWS == 0:
            yield out.getvalue()
            out.seek(0)
            out.truncate()
    yield out.getvalue()
