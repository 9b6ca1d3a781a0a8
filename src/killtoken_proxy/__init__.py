"""KillToken daemon: the local LLM cost gateway (FastAPI app, pipeline, providers, store, secrets)."""

__version__ = "0.1.0"
