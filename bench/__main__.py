"""`python -m bench`: KillToken's gateway overhead against direct calls, a bare pass-through and LiteLLM.

Run from the repository root with the project's venv: `.venv/bin/python -m bench` (about 10 minutes;
`--quick` for a one-minute smoke run). LiteLLM's proxy is installed on first use into `.bench/`.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

from bench import gateways
from bench.loop import run as run_loop
from bench.render import show, write_json
from bench.runner import Plan, execute

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_LITELLM_VENV = ROOT / ".bench" / "litellm-venv"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="one short round and a 10k soak: a smoke run (~1 min)")
    parser.add_argument("--rounds", type=int, help="interleaved rounds per scenario (default 4; quick 1)")
    parser.add_argument("--requests", type=int, help="requests per block, at most (default 2000; quick 400)")
    parser.add_argument("--seconds", type=float, help="seconds per block, at most (default 3; quick 1)")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 16, 64])
    parser.add_argument("--latency-ms", type=float, nargs="+", default=[0.0, 50.0], help="fake upstream latencies")
    parser.add_argument("--soak-requests", type=int, help="memory soak size (default 100000; quick 10000; 0 skips)")
    parser.add_argument("--soak-seconds", type=float, default=600.0, help="time limit of the soak")
    parser.add_argument(
        "--usage-variants",
        type=int,
        default=10_007,
        help="distinct token counts the fake upstream cycles through (real traffic rarely repeats one; 1: fixed)",
    )
    parser.add_argument(
        "--fresh-kt",
        action="store_true",
        help="a new kt serve on an empty store for every round and concurrency (keeps a ledger whose "
        "write cost grows with its size from drifting the numbers; for comparing transport changes)",
    )
    parser.add_argument("--no-litellm", action="store_true", help="skip the LiteLLM peer")
    parser.add_argument(
        "--litellm-venv",
        type=Path,
        default=DEFAULT_LITELLM_VENV,
        help=f"venv holding {gateways.LITELLM_SPEC}; created when missing (default .bench/litellm-venv)",
    )
    parser.add_argument("--json", type=Path, help="also write the full results as JSON here")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (logs, kt homes)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if sys.platform == "win32":
        print("The benchmark reads CPU and memory from /proc; run it on Linux.", file=sys.stderr)
        return 2
    quick = args.quick
    work = Path(tempfile.mkdtemp(prefix="killtoken-bench-"))
    litellm_script = None
    if not args.no_litellm:
        args.litellm_venv.parent.mkdir(parents=True, exist_ok=True)
        litellm_script = gateways.ensure_litellm(args.litellm_venv, work / "litellm-install.log")
    plan = Plan(
        rounds=args.rounds or (1 if quick else 4),
        requests=args.requests or (400 if quick else 2000),
        seconds=args.seconds or (1.0 if quick else 3.0),
        warmup_requests=50 if quick else 200,
        concurrencies=tuple(args.concurrency),
        latencies_ms=tuple(args.latency_ms),
        soak_requests=args.soak_requests if args.soak_requests is not None else (10_000 if quick else 100_000),
        soak_seconds=args.soak_seconds,
        usage_variants=args.usage_variants,
        fresh_kt=args.fresh_kt,
        litellm_script=litellm_script,
        work=work,
    )
    try:
        result = run_loop(execute(plan))
    finally:
        if args.keep:
            print(f"Work folder kept: {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)
    if args.json:  # first, so that the numbers survive whatever happens while printing them
        write_json(result, args.json)
        print(f"Wrote {args.json}", file=sys.stderr)
    show(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
