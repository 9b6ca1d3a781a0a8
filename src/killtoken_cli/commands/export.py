"""`kt export`: write the request history (CSV or JSON) or the analytics (JSON) to a file or stdout."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Annotated, Any

import typer

from killtoken_cli.help_format import Typer
from killtoken_cli.shared_options import (
    CacheStatusFilter,
    End,
    Feature,
    ModelFilter,
    Period,
    ProviderFilter,
    Start,
    StatusFilter,
    TemplateFilter,
    Tenant,
)

app = Typer(help="Exports: requests (CSV or JSON), analytics (JSON).", no_args_is_help=True)

Out = Annotated[
    Path | None,
    typer.Option(
        "--out", metavar="FILE", help="File to write (replaced only once the export is complete); stdout if omitted."
    ),
]


@app.command("requests")
def requests_(
    out: Out = None,
    fmt: Annotated[
        str, typer.Option("--format", metavar="FORMAT", help="csv (stable documented columns) or json (every field).")
    ] = "csv",
    feature: Feature = None,
    provider: ProviderFilter = None,
    model: ModelFilter = None,
    status: StatusFilter = None,
    cache_status: CacheStatusFilter = None,
    template: TemplateFilter = None,
    start: Start = None,
    end: End = None,
    period: Period = None,
    tenant: Tenant = None,
) -> None:
    """Export the recorded requests, oldest first. A progress bar shows on a terminal."""
    from killtoken_cli.connection import connect
    from killtoken_cli.errors import reported
    from killtoken_cli.output import fail, info

    if fmt not in ("csv", "json"):
        fail("--format must be csv or json.", 2)
    filters = {
        "feature": feature,
        "provider": provider,
        "model": model,
        "status": status,
        "cache_status": cache_status,
        "template": template,
        "start": start,
        "end": end,
        "period": period,
    }
    with (
        reported(),
        connect(tenant=tenant) as client,
        client.export_requests("csv" if fmt == "csv" else "ndjson", **filters) as (expected, chunks),
    ):
        written = _write(out, lambda handle: _copy(handle, fmt, expected, chunks))
    info(f"Wrote {written:,} request(s) to {out or 'stdout'}.")


@app.command("analytics")
def analytics(
    out: Out = None,
    start: Start = None,
    end: End = None,
    period: Period = None,
    feature: Feature = None,
    tenant: Tenant = None,
) -> None:
    """Export the analytics summary with a per-day series as JSON. The last 30 days by default."""
    import json

    from killtoken_cli.connection import connect
    from killtoken_cli.errors import reported
    from killtoken_cli.output import info

    with reported(), connect(tenant=tenant) as client:
        report = client.export_analytics(start=start, end=end, period=period, feature=feature)
    _write(out, lambda handle: handle.write(json.dumps(report, indent=2).encode() + b"\n"))
    info(f"Wrote the analytics for {len(report['daily'])} day(s) to {out or 'stdout'}.")


def _write(out: Path | None, write: Any) -> int:
    """`write(handle)` into `out` atomically, or straight to stdout (data there, messages on stderr)."""
    if out is None:
        result = int(write(sys.stdout.buffer))
        sys.stdout.buffer.flush()
        return result
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", dir=out.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            result = int(write(handle))
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return result


def _copy(handle: IO[bytes], fmt: str, expected: int | None, chunks: Iterator[bytes]) -> int:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from killtoken_cli.output import stderr_console

    console = stderr_console()
    columns = (TextColumn("exporting"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, disable=not console.is_terminal) as progress:
        task = progress.add_task("export", total=expected)
        rows = _csv(handle, chunks, progress, task) if fmt == "csv" else _json(handle, chunks, progress, task)
        progress.update(task, total=rows, completed=rows)
    return rows


def _csv(handle: IO[bytes], chunks: Iterator[bytes], progress: Any, task: Any) -> int:
    lines = 0
    for chunk in chunks:
        handle.write(chunk)
        lines += chunk.count(b"\n")
        progress.update(task, completed=max(lines - 1, 0))
    return max(lines - 1, 0)  # the header is not a request


def _json(handle: IO[bytes], chunks: Iterator[bytes], progress: Any, task: Any) -> int:
    """NDJSON in, one JSON array out, written as it streams."""
    handle.write(b"[")
    rows, rest = 0, b""
    for chunk in chunks:
        *lines, rest = (rest + chunk).split(b"\n")
        for line in filter(None, lines):
            handle.write((b",\n" if rows else b"\n") + line)
            rows += 1
        progress.update(task, completed=rows)
    if rest.strip():
        handle.write((b",\n" if rows else b"\n") + rest)
        rows += 1
    handle.write(b"\n]\n")
    return rows
