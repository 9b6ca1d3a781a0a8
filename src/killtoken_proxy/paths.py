"""Where KillToken keeps its files: platformdirs locations, or one folder under KILLTOKEN_HOME."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

APP_NAME = "killtoken"


@dataclass(frozen=True)
class Paths:
    config: Path
    data: Path
    state: Path
    cache: Path

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Paths:
        home = environ.get("KILLTOKEN_HOME", "").strip()
        if home:
            root = Path(home).expanduser().resolve()
            return cls(root / "config", root / "data", root / "state", root / "cache")
        import platformdirs

        dirs = platformdirs.PlatformDirs(APP_NAME, appauthor=False)
        return cls(
            Path(dirs.user_config_dir),
            Path(dirs.user_data_dir),
            Path(dirs.user_state_dir),
            Path(dirs.user_cache_dir),
        )

    def ensure(self) -> None:
        for folder in (self.config, self.data, self.state, self.cache):
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)

    @property
    def daemon_file(self) -> Path:
        return self.state / "daemon.json"

    @property
    def lock_file(self) -> Path:
        return self.state / "store.lock"

    @property
    def admin_token_file(self) -> Path:
        return self.state / "admin-token"

    @property
    def cli_key_file(self) -> Path:
        """`kt`'s own copy of a tenant key where no OS keyring holds it (owner-only, like the admin token)."""
        return self.config / "cli-key"

    @property
    def plan_usage_file(self) -> Path:
        return self.data / "plan-usage.json"

    @property
    def main_db(self) -> Path:
        return self.data / "killtoken.json"

    @property
    def ledger_dir(self) -> Path:
        return self.data / "ledger"

    @property
    def exact_cache_dir(self) -> Path:
        return self.cache / "exact"

    @property
    def idempotency_dir(self) -> Path:
        return self.data / "idempotency"

    @property
    def vault_file(self) -> Path:
        return self.data / "vault.json"
