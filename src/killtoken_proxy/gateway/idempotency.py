"""The idempotency stage: the first request with a (tenant, key) runs; a later one replays its answer
without calling the provider; one arriving while the first is in flight waits for it (coalescing) and
then replays it, or shares its error. Only completed answers are recorded, so a failure never poisons
the key. Reusing a key for a different request is 422 `idempotency_key_reused`; waiting longer than
the configured bound is 409 `idempotency_in_progress`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from killtoken_proxy import json_codec
from killtoken_proxy.errors import KillTokenError
from killtoken_proxy.gateway.cache_key import request_fingerprint
from killtoken_proxy.gateway.stored_answer import StoredAnswer, answer_value, decimal_or_none
from killtoken_proxy.store.idempotency_store import IdempotencyRecord, IdempotencyStore, scope_of

if TYPE_CHECKING:
    from killtoken_proxy.gateway.pipeline import Call


@dataclass
class _InFlight:
    fingerprint: str
    request_id: str
    settled: asyncio.Future[KillTokenError | None]  # None: completed, or abandoned without an answer


class Idempotency:
    def __init__(
        self, store: IdempotencyStore, *, ttl: float, wait: float, clock: Callable[[], float] = time.time
    ) -> None:
        self._store = store
        self._ttl = ttl
        self._wait = wait
        self._clock = clock
        self._in_flight: dict[str, _InFlight] = {}  # scope -> the request holding it
        self._claims: dict[str, tuple[str, str]] = {}  # request id -> (scope, fingerprint)

    async def begin(self, call: Call) -> StoredAnswer | None:
        """A replay to answer with, or None: the caller goes on (holding the key, if it has one)."""
        assert call.request is not None and call.tenant is not None and call.provider is not None
        key = call.request.idempotency_key
        if key is None:
            return None
        await self._store.ready()
        scope = scope_of(call.tenant.id, key)
        endpoint = call.credential.config if call.credential else None
        fingerprint = request_fingerprint(call.tenant.id, call.provider, call.request, endpoint)
        while True:
            record = await self._store.find(scope)
            if record is not None:
                _same_request(record.fingerprint, fingerprint, record.request_id)
                return _replay(record)
            flight = self._in_flight.get(scope)
            if flight is None:
                loop = asyncio.get_running_loop()
                self._in_flight[scope] = _InFlight(fingerprint, call.request_id, loop.create_future())
                self._claims[call.request_id] = (scope, fingerprint)
                return None
            _same_request(flight.fingerprint, fingerprint, flight.request_id)
            error = await self._wait_for(flight)
            if error is not None:
                raise _shared(error, flight.request_id)
            # Completed (the loop finds the record) or abandoned (the loop claims the key): go round.

    async def _wait_for(self, flight: _InFlight) -> KillTokenError | None:
        try:
            return await asyncio.wait_for(asyncio.shield(flight.settled), self._wait)
        except TimeoutError:
            raise KillTokenError(
                f"A request with this idempotency key ({flight.request_id}) is still in progress after "
                f"{self._wait:g} s; retry later to get its answer.",
                code="idempotency_in_progress",
                status=409,
                headers={"retry-after": "1"},
            ) from None

    def complete(self, call: Call, body: dict[str, Any], metrics: dict[str, Any]) -> None:
        """Record the answer of the request holding a key, and wake the requests waiting for it."""
        claim = self._claims.pop(call.request_id, None)
        if claim is None:
            return
        assert call.tenant is not None
        scope, fingerprint = claim
        now = self._clock()
        self._store.put(
            IdempotencyRecord(
                scope=scope,
                tenant_id=call.tenant.id,
                fingerprint=fingerprint,
                request_id=call.request_id,
                created_at=now,
                expires_at=now + self._ttl,
                model=str(metrics["model"]),
                value_usd=answer_value(metrics),
                body=json_codec.dumps(body),
            )
        )
        self._settle(scope, None)

    def release(self, call: Call, error: KillTokenError | None = None) -> None:
        """The request holding a key ended without an answer: nothing is recorded, the key stays usable.
        Waiters get the same error; after an unexpected failure (no error to share) one of them retries."""
        claim = self._claims.pop(call.request_id, None)
        if claim is not None:
            self._settle(claim[0], error)

    def _settle(self, scope: str, error: KillTokenError | None) -> None:
        flight = self._in_flight.pop(scope)
        if not flight.settled.done():
            flight.settled.set_result(error)


def _same_request(first: str, this: str, first_request_id: str) -> None:
    if first != this:
        raise KillTokenError(
            f"This idempotency key was already used with a different request ({first_request_id}). "
            "Use a new key for a new request.",
            code="idempotency_key_reused",
            status=422,
            param="idempotencyKey",
        )


def _replay(record: IdempotencyRecord) -> StoredAnswer:
    return StoredAnswer(
        body=json_codec.loads(record.body),
        model=record.model,
        value_usd=decimal_or_none(record.value_usd),
        source_request_id=record.request_id,
        cache_status="bypass",
        replay=True,
    )


def _shared(error: KillTokenError, leader_id: str) -> KillTokenError:
    headers = {k: v for k, v in error.headers.items() if k.lower() != "x-killtoken-request-id"}
    return KillTokenError(
        f"{error.message} (shared with {leader_id}, the concurrent request with this idempotency key)",
        code=error.code,
        status=error.status,
        headers=headers,
        param=error.param,
    )
