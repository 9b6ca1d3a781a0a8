"""Runtime settings, read once from the environment; the only place besides paths that reads it."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from killtoken_proxy.paths import Paths

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8787


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
    ledger_segment_records: int = 1000  # a segment file is sealed at this many records ...
    ledger_segment_bytes: int = 1 << 20  # ... or this size, so one write never costs more than this
    cache_opportunity_ttl: float = 3600.0  # the exact-cache TTL the cache-opportunity report assumes

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        env = os.environ if environ is None else environ
        master_key = env.get("KILLTOKEN_MASTER_KEY") or None
        settings = cls(paths=Paths.from_env(env), master_key=master_key)
        return settings.replace(**overrides) if overrides else settings

    def replace(self, **changes: object) -> Settings:
        from dataclasses import replace

        return replace(self, **changes)  # type: ignore[arg-type]

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"
