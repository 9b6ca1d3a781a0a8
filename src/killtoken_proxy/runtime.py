"""Everything one daemon (or one in-process CLI call) holds open: lock, store, secrets, ledger, HTTP client."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from tinydb import TinyDB

from killtoken_proxy.credential_service import CredentialService
from killtoken_proxy.gateway.pipeline import Gateway
from killtoken_proxy.providers.base import ProviderAdapter
from killtoken_proxy.providers.registry import default_adapters
from killtoken_proxy.secrets.backend import choose_backend
from killtoken_proxy.secrets.secret_store import SecretStore
from killtoken_proxy.settings import Settings
from killtoken_proxy.store.atomic_storage import AtomicJSONStorage
from killtoken_proxy.store.credentials import CredentialStore
from killtoken_proxy.store.ledger import Ledger
from killtoken_proxy.store.lock import StoreLock
from killtoken_proxy.store.tenants import TenantStore
from killtoken_proxy.upstream_client import UpstreamClient

log = logging.getLogger("killtoken")


class Runtime:
    """Open with `open()` (sync: lock, files, secrets), then `start()` inside the event loop."""

    def __init__(self, settings: Settings, adapters: Mapping[str, ProviderAdapter] | None = None) -> None:
        self.settings = settings
        self.adapters = dict(adapters) if adapters is not None else default_adapters()
        self.lock = StoreLock(settings.paths.lock_file, settings.paths.daemon_file)
        self._db: TinyDB | None = None
        self._http: UpstreamClient | None = None
        self._gateway: Gateway | None = None

    def open(self) -> None:
        self.settings.paths.ensure()
        self.lock.acquire()
        try:
            self._db = TinyDB(self.settings.paths.main_db, storage=AtomicJSONStorage)
            self.tenants = TenantStore(self._db)
            self.secrets = SecretStore(choose_backend(self.settings))
            self.credentials = CredentialService(CredentialStore(self._db), self.secrets, self.adapters)
            self.ledger = Ledger(
                self.settings.paths.ledger_dir,
                batch_max=self.settings.ledger_batch_max,
                batch_wait=self.settings.ledger_batch_wait,
            )
        except BaseException:
            self.lock.release()
            raise
        if self.secrets.usable:
            missing = self.credentials.preload_secrets()
            if missing:
                log.warning(
                    "%d stored credential secret(s) could not be read from %s", len(missing), self.secrets.description
                )

    async def start(self) -> None:
        s = self.settings
        self._http = UpstreamClient(connect_timeout=s.upstream_connect_timeout, read_timeout=s.upstream_read_timeout)
        self.ledger.start()
        self._gateway = Gateway(
            tenants=self.tenants,
            credentials=self.credentials,
            adapters=self.adapters,
            ledger=self.ledger,
            http=self._http,
        )

    @property
    def gateway(self) -> Gateway:
        if self._gateway is None:
            raise RuntimeError("Runtime.start() has not run")
        return self._gateway

    async def stop(self) -> None:
        await self.ledger.close()
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
        self.lock.release()
