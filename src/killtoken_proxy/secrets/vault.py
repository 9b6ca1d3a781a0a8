"""Encrypted-file vault, a `keyring` backend for machines without an OS keyring (servers, CI).

Entries are Fernet tokens (AES-128-CBC + HMAC-SHA256) under a key derived with scrypt from
KILLTOKEN_MASTER_KEY and a per-vault salt. The file never holds a plaintext secret.
"""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError

from killtoken_proxy.store.atomic_storage import write_json_atomically

_CHECK_PLAINTEXT = b"killtoken-vault-check"


class VaultKeyMismatch(Exception):
    """KILLTOKEN_MASTER_KEY does not open the existing vault."""


def _derive(master_key: str, salt: bytes) -> Fernet:
    kdf = Scrypt(salt=salt, length=32, n=2**14, r=8, p=1)
    return Fernet(base64.urlsafe_b64encode(kdf.derive(master_key.encode("utf-8"))))


class EncryptedFileKeyring(KeyringBackend):
    """Not auto-selected by keyring: KillToken instantiates it when KILLTOKEN_MASTER_KEY is set."""

    @classmethod
    def priority(cls) -> float:  # type: ignore[override]
        raise RuntimeError("KillToken's vault is used only when KILLTOKEN_MASTER_KEY is set")

    def __init__(self, path: Path, master_key: str) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._path = path
        if path.exists():
            document = json.loads(path.read_text(encoding="utf-8"))
            self._fernet = _derive(master_key, base64.b64decode(document["salt"]))
            try:
                self._fernet.decrypt(document["check"].encode("ascii"))
            except InvalidToken:
                raise VaultKeyMismatch(f"KILLTOKEN_MASTER_KEY does not open the vault at {path}.") from None
            self._entries: dict[str, dict[str, str]] = document.get("entries", {})
            self._salt = document["salt"]
        else:
            salt = os.urandom(16)
            self._fernet = _derive(master_key, salt)
            self._salt = base64.b64encode(salt).decode("ascii")
            self._entries = {}

    def _save(self) -> None:
        document: dict[str, Any] = {
            "version": 1,
            "kdf": "scrypt-n16384-r8-p1",
            "salt": self._salt,
            "check": self._fernet.encrypt(_CHECK_PLAINTEXT).decode("ascii"),
            "entries": self._entries,
        }
        write_json_atomically(self._path, document)

    def get_password(self, service: str, username: str) -> str | None:
        token = self._entries.get(service, {}).get(username)
        if token is None:
            return None
        return self._fernet.decrypt(token.encode("ascii")).decode("utf-8")

    def set_password(self, service: str, username: str, password: str) -> None:
        token = self._fernet.encrypt(password.encode("utf-8")).decode("ascii")
        self._entries.setdefault(service, {})[username] = token
        self._save()

    def delete_password(self, service: str, username: str) -> None:
        if self._entries.get(service, {}).pop(username, None) is None:
            raise PasswordDeleteError("no such entry")
        self._save()
