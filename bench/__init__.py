"""KillToken's benchmarks (not part of the test suite). Run from the repository root with the project's venv:

    .venv/bin/python -m bench            # the full run (~15 min): table, targets, soak, `kt --help` time
    .venv/bin/python -m bench --quick    # a smoke run (~2 min)
    .venv/bin/python -m bench.stages     # microseconds per pipeline stage; ledger batch cost by file size
    .venv/bin/python -m bench.profile    # pyinstrument tree of Gateway.chat (needs the `bench` extra)

`python -m bench` starts, on loopback only: a fake OpenAI-compatible upstream (`upstream.py`) per
latency, a bare FastAPI/aiohttp pass-through (`passthrough.py`, the floor any Python gateway pays), a
real `kt serve` with its own KILLTOKEN_HOME and vault, and LiteLLM's proxy from its own venv
(`.bench/litellm-venv`, created on first use). The closed-loop driver (`driver.py`) sends blocks of
requests to each in a shuffled order per round (`runner.py`); `report.py` turns them into ratios and
paired differences, `render.py` prints them.
"""
