"""Choose where secrets live: a secure OS keyring, else the encrypted vault opened by KILLTOKEN_MASTER_KEY."""

from __future__ import annotations

from dataclasses import dataclass

from keyring.backend import KeyringBackend

from killtoken_proxy.settings import Settings

SERVICE = "killtoken"

HOW_TO_FIX = (
    "Either unlock/install an OS keyring (macOS Keychain, Windows Credential Locker, or a Secret "
    "Service such as gnome-keyring on Linux), or set KILLTOKEN_MASTER_KEY to a long random passphrase "
    "(for example: export KILLTOKEN_MASTER_KEY=$(python3 -c 'import secrets; print(secrets.token_urlsafe(32))')) "
    "so KillToken keeps secrets in its encrypted vault. Keep that passphrase safe: it is the only way to "
    "open the vault."
)
# Where the master key must be set: `kt serve` reads it once at start, a `kt` command with no daemon running
# opens the store itself.
SET_THE_MASTER_KEY = (
    "Export KILLTOKEN_MASTER_KEY with the key the vault was created with, then start `kt serve` (restart a "
    "running one), or run the `kt` command again when no daemon is running."
)


@dataclass(frozen=True)
class BackendChoice:
    backend: KeyringBackend | None
    description: str
    problem: str | None = None

    @property
    def usable(self) -> bool:
        return self.backend is not None


def _is_secure(backend: KeyringBackend) -> bool:
    module = type(backend).__module__
    if module.startswith("keyrings.alt") or module.startswith("keyring.backends.fail"):
        return False
    if module.startswith("keyring.backends.null"):
        return False
    try:
        return float(backend.priority) >= 1
    except Exception:
        return False


def choose_backend(settings: Settings) -> BackendChoice:
    """A secure OS keyring first; the vault where none works (headless Linux, CI) or where it already holds secrets."""
    vault_file = settings.paths.vault_file
    if settings.master_key and vault_file.exists():
        return _vault(settings)  # secrets stored there earlier stay reachable even if a keyring appears later
    os_choice = _os_keyring()
    if not os_choice.usable and not settings.master_key and vault_file.exists():
        # "No OS keyring, set a new passphrase" would be wrong advice: only the vault's own key opens it.
        problem = f"The secrets are in the encrypted vault at {vault_file}, and KILLTOKEN_MASTER_KEY is not set."
        return BackendChoice(None, f"encrypted vault ({vault_file})", f"{problem} {SET_THE_MASTER_KEY}")
    if os_choice.usable or not settings.master_key:
        return os_choice
    return _vault(settings)


def _vault(settings: Settings) -> BackendChoice:
    from killtoken_proxy.secrets.vault import EncryptedFileKeyring, VaultKeyMismatch

    assert settings.master_key is not None
    try:
        vault = EncryptedFileKeyring(settings.paths.vault_file, settings.master_key)
    except VaultKeyMismatch as exc:
        return BackendChoice(None, "encrypted vault", f"{exc} {SET_THE_MASTER_KEY}")
    except (OSError, ValueError, KeyError) as exc:
        return BackendChoice(None, "encrypted vault", f"The vault file cannot be read: {exc}")
    return BackendChoice(vault, f"encrypted vault ({settings.paths.vault_file})")


def _os_keyring() -> BackendChoice:
    import keyring

    os_backend = keyring.get_keyring()
    name = f"{type(os_backend).__module__}.{type(os_backend).__name__}"
    if not _is_secure(os_backend):
        return BackendChoice(None, name, f"No secure OS keyring is available (keyring backend: {name}). {HOW_TO_FIX}")
    try:
        os_backend.get_password(SERVICE, "__probe__")
    except Exception as exc:
        return BackendChoice(None, name, f"The OS keyring ({name}) cannot be used: {exc}. {HOW_TO_FIX}")
    return BackendChoice(os_backend, f"OS keyring ({name})")
