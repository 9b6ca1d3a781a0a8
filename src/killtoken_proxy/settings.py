"""Runtime settings, read once from the environment; the only place besides paths that reads it."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from killtoken_proxy.paths import Paths

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8787
MIB = 1024 * 1024

# Optional tuning from the environment: variable -> (setting, how to convert the positive number).
_ENV_TUNING: dict[str, tuple[str, Callable[[float], float]]] = {
    "KILLTOKEN_CACHE_MAX_MB": ("cache_max_bytes", lambda mb: int(mb * MIB)),
    "KILLTOKEN_CACHE_TTL_SECONDS": ("cache_default_ttl_seconds", float),
    "KILLTOKEN_IDEMPOTENCY_TTL_SECONDS": ("idempotency_ttl_seconds", float),
    "KILLTOKEN_IDEMPOTENCY_MEMORY_MB": ("idempotency_memory_bytes", lambda mb: int(mb * MIB)),
    "KILLTOKEN_UPSTREAM_TIMEOUT_SECONDS": ("upstream_read_timeout", float),
    "KILLTOKEN_UPSTREAM_CONNECT_TIMEOUT_SECONDS": ("upstream_connect_timeout", float),
    "KILLTOKEN_MAX_BODY_MB": ("max_body_bytes", lambda mb: int(mb * MIB)),
}
IDEMPOTENCY_WAIT_MARGIN = 20.0


@dataclass(frozen=True)
class Settings:
    paths: Paths
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    master_key: str | None = field(default=None, repr=False)
    upstream_connect_timeout: float = 10.0
    upstream_read_timeout: float = 300.0
    ledger_batch_max: int = 500
    ledger_batch_wait: float = 0.05
    cache_max_bytes: int = 128 * MIB  # exact cache, in memory and on disk; least recently used go first
    cache_default_ttl_seconds: float = 86400.0  # for entries written without `cachePolicy.ttlSeconds`
    idempotency_ttl_seconds: float = 86400.0  # how long a completed idempotency key replays
    idempotency_memory_bytes: int = 64 * MIB  # answers kept in memory; older ones are read from disk on replay
    idempotency_wait_seconds: float | None = None  # how long a coalesced request waits; None: see below
    tiktoken_cache_dir: Path | None = None  # where tiktoken caches downloaded encodings (TIKTOKEN_CACHE_DIR)
    ledger_segment_records: int = 1000  # a segment file is sealed at this many records ...
    ledger_segment_bytes: int = 1 << 20  # ... or this size, so one write never costs more than this
    cache_opportunity_ttl: float = 3600.0  # the exact-cache TTL the cache-opportunity report assumes
    max_body_bytes: int = 10 * MIB  # a larger request body is refused with 413 (KILLTOKEN_MAX_BODY_MB)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        env = os.environ if environ is None else environ
        master_key = env.get("KILLTOKEN_MASTER_KEY") or None
        cache_dir = env.get("TIKTOKEN_CACHE_DIR", "").strip()
        settings = cls(
            paths=Paths.from_env(env),
            master_key=master_key,
            tiktoken_cache_dir=Path(cache_dir).expanduser() if cache_dir else None,
        ).replace(**_tuning(env))
        return settings.replace(**overrides) if overrides else settings

    def replace(self, **changes: object) -> Settings:
        from dataclasses import replace

        return replace(self, **changes)  # type: ignore[arg-type]

    @property
    def idempotency_wait(self) -> float:
        """A request coalesced onto an in-flight one with the same key outwaits that call's own timeouts."""
        if self.idempotency_wait_seconds is not None:
            return self.idempotency_wait_seconds
        return self.upstream_connect_timeout + self.upstream_read_timeout + IDEMPOTENCY_WAIT_MARGIN

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"


def _tuning(env: Mapping[str, str]) -> dict[str, float]:
    out: dict[str, float] = {}
    for variable, (setting, convert) in _ENV_TUNING.items():
        raw = env.get(variable, "").strip()
        if not raw:
            continue
        try:
            number = float(raw)
        except ValueError:
            number = -1.0
        if not number > 0 or number == float("inf"):
            raise ValueError(f"{variable} must be a positive number; got {raw!r}.")
        out[setting] = convert(number)
    return out
