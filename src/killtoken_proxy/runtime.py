"""Everything one daemon (or one in-process CLI call) holds open: lock, store, secrets, ledger, counters, HTTP."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Mapping

from tinydb import TinyDB

from killtoken_proxy.admin_token import ensure_admin_token
from killtoken_proxy.clock import Clock, SystemClock
from killtoken_proxy.credential_service import CredentialService
from killtoken_proxy.gateway.exact_cache import ExactCache
from killtoken_proxy.gateway.idempotency import Idempotency
from killtoken_proxy.gateway.limits import Limits
from killtoken_proxy.gateway.optimize.stage import PromptOptimizer, input_cost
from killtoken_proxy.gateway.optimize.tokens import load_tokenizers
from killtoken_proxy.gateway.pipeline import Gateway
from killtoken_proxy.gateway.pricing import PriceBook
from killtoken_proxy.gateway.templates import TemplateService
from killtoken_proxy.providers.base import ProviderAdapter
from killtoken_proxy.providers.registry import default_adapters
from killtoken_proxy.secrets.backend import choose_backend
from killtoken_proxy.secrets.secret_store import SecretStore
from killtoken_proxy.settings import Settings
from killtoken_proxy.store.atomic_storage import AtomicJSONStorage
from killtoken_proxy.store.cache_store import CacheStore
from killtoken_proxy.store.credentials import CredentialStore
from killtoken_proxy.store.entry_files import EntryFiles
from killtoken_proxy.store.idempotency_store import IdempotencyStore
from killtoken_proxy.store.ledger import Ledger
from killtoken_proxy.store.lock import StoreLock
from killtoken_proxy.store.plan_usage import PlanUsage
from killtoken_proxy.store.price_overrides import PriceOverrideStore
from killtoken_proxy.store.templates import TemplateStore
from killtoken_proxy.store.tenant_options import TenantOptions
from killtoken_proxy.store.tenants import TenantStore
from killtoken_proxy.tenant_admin import TenantAdmin
from killtoken_proxy.upstream_client import UpstreamClient

log = logging.getLogger("killtoken")


class Runtime:
    """Open with `open()` (sync: lock, files, secrets), then `start()` inside the event loop."""

    def __init__(
        self,
        settings: Settings,
        adapters: Mapping[str, ProviderAdapter] | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.settings = settings
        self.adapters = dict(adapters) if adapters is not None else default_adapters()
        self.clock: Clock = clock or SystemClock()
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
            self.templates = TemplateService(TemplateStore(self._db), self.adapters)
            self.prices = PriceBook()
            self.price_overrides = PriceOverrideStore(self._db, self.prices)
            self.tenant_options = TenantOptions(self._db)
            self.ledger = Ledger(
                self.settings.paths.ledger_dir,
                batch_max=self.settings.ledger_batch_max,
                batch_wait=self.settings.ledger_batch_wait,
                segment_records=self.settings.ledger_segment_records,
                segment_bytes=self.settings.ledger_segment_bytes,
                repeat_ttl=self.settings.cache_opportunity_ttl,
            )
            paths = self.settings.paths
            self.cache = CacheStore(
                EntryFiles(paths.exact_cache_dir), max_bytes=self.settings.cache_max_bytes, clock=self.wall_seconds
            )
            self.idempotency = IdempotencyStore(
                EntryFiles(paths.idempotency_dir),
                clock=self.wall_seconds,
                memory_budget=self.settings.idempotency_memory_bytes,
            )
            self.plan_usage = PlanUsage(self.settings.paths.plan_usage_file)
            self.limits = Limits(self.plan_usage, self.clock)
            self.tenant_admin = TenantAdmin(self.tenants, self.credentials, self.plan_usage, self.clock)
            self.admin_token = ensure_admin_token(self.settings.paths.admin_token_file)
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
        # The price table loads in the background (~0.2 s) so start-up and `kt` commands stay quick.
        threading.Thread(target=self.prices.warm, name="killtoken-prices", daemon=True).start()
        await asyncio.to_thread(self.ledger.files.load)
        self.ledger.start()
        self.cache.start()  # the stores load their files in the background; only their first users wait
        self.idempotency.start()
        self.plan_usage.start()
        self.optimizer = PromptOptimizer(load_tokenizers(s.tiktoken_cache_dir), input_cost(self.prices))
        self._gateway = Gateway(
            tenants=self.tenants,
            credentials=self.credentials,
            adapters=self.adapters,
            ledger=self.ledger,
            http=self._http,
            cache=ExactCache(self.cache, default_ttl=s.cache_default_ttl_seconds, clock=self.wall_seconds),
            idempotency=Idempotency(
                self.idempotency, ttl=s.idempotency_ttl_seconds, wait=s.idempotency_wait, clock=self.wall_seconds
            ),
            limits=self.limits,
            optimizer=self.optimizer,
            templates=self.templates,
            prices=self.prices,
            options=self.tenant_options,
        )

    def wall_seconds(self) -> float:
        """The clock's wall time in Unix seconds: what cache entries and idempotency records expire by."""
        return self.clock.now().timestamp()

    @property
    def gateway(self) -> Gateway:
        if self._gateway is None:
            raise RuntimeError("Runtime.start() has not run")
        return self._gateway

    @property
    def http(self) -> UpstreamClient:
        if self._http is None:
            raise RuntimeError("Runtime.start() has not run")
        return self._http

    async def stop(self) -> None:
        await self.ledger.close()
        await self.cache.close()
        await self.idempotency.close()
        await self.plan_usage.close()
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
        self.lock.release()
