"""The limits stage: the tenant's rate limit (429), then its monthly plan quota (402).

A call is counted when it is admitted (the reservation) and given back if it then fails before
the provider received it (the settlement); one refused with 402 takes no rate-limit slot.
Admission is synchronous on the event loop, so concurrent requests cannot both take the last unit.
Idempotent replays skip `admit` and get the plan headers from `annotate` instead.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from killtoken_proxy.clock import Clock
from killtoken_proxy.errors import KillTokenError
from killtoken_proxy.gateway.rate_limit import SlidingWindowLimiter
from killtoken_proxy.plans import iso_z, next_reset, period_of
from killtoken_proxy.store.plan_usage import PlanUsage
from killtoken_proxy.store.tenants import Tenant

if TYPE_CHECKING:
    from killtoken_proxy.gateway.pipeline import Call

PLAN_PERIOD = "plan_period"  # ledger field: the month a call counted against (absent: it did not count)
# Errors after which the provider may have received (and billed) the request even without an answer.
_MAYBE_DELIVERED = frozenset({"upstream_timeout", "upstream_error"})


def plan_headers(tenant: Tenant, used: int, now: datetime) -> dict[str, str]:
    limit = tenant.monthly_requests
    return {
        "x-killtoken-plan": tenant.plan,
        "x-killtoken-plan-limit": "unlimited" if limit is None else str(limit),
        "x-killtoken-plan-used": str(used),
        "x-killtoken-plan-reset": iso_z(next_reset(now)),
    }


class Limits:
    def __init__(self, usage: PlanUsage, clock: Clock) -> None:
        self._usage = usage
        self._clock = clock
        self._rate = SlidingWindowLimiter(clock.monotonic)

    def admit(self, call: Call) -> None:
        """Count the call against the rate limit and the plan, or refuse it with 429 / 402."""
        assert call.tenant is not None
        tenant, now = call.tenant, self._clock.now()
        period = period_of(now)
        rate = self._rate.hit(tenant.id, tenant.rate_limit_per_minute)
        call.response_headers.update(rate.headers())
        used = self._usage.used(tenant.id, period)
        if not rate.allowed:
            call.response_headers.update(plan_headers(tenant, used, now))
            raise KillTokenError(
                f"Rate limit exceeded: at most {rate.limit} chat requests per minute for this tenant. "
                f"Retry in {call.response_headers['retry-after']} s. This guardrail is separate from "
                "the monthly plan quota.",
                code="rate_limited",
                status=429,
            )
        limit = tenant.monthly_requests
        if limit is not None and used >= limit:
            # Refused: the call takes no rate-limit slot either, so retrying at the quota cannot cause 429s.
            self._rate.give_back(tenant.id)
            call.response_headers.update(
                self._rate.hit(tenant.id, tenant.rate_limit_per_minute, record=False).headers()
            )
            call.response_headers.update(plan_headers(tenant, used, now))
            raise KillTokenError(
                f"Monthly plan limit reached: {used} of {limit} gateway requests used on plan "
                f"`{tenant.plan}`. The quota starts again at {iso_z(next_reset(now))}; an admin can raise it "
                f"with `kt tenants update {tenant.name} --plan NAME` or `--monthly-requests N`.",
                code="plan_limit_exceeded",
                status=402,
            )
        used = self._usage.add(tenant.id, period, 1)
        call.record[PLAN_PERIOD] = period
        call.response_headers.update(plan_headers(tenant, used, now))

    def annotate(self, call: Call) -> None:
        """Plan headers for a call that does not count (an idempotent replay): same budget view, no charge."""
        assert call.tenant is not None
        now = self._clock.now()
        call.response_headers.update(plan_headers(call.tenant, self._usage.used(call.tenant.id, period_of(now)), now))

    def settle_failure(self, call: Call, error: KillTokenError) -> None:
        """Give the reservation back when the call failed before the provider could have received it."""
        period = call.record.get(PLAN_PERIOD)
        if period is None or call.tenant is None:
            return
        if call.attempt.response is not None or (call.attempt.sent and error.code in _MAYBE_DELIVERED):
            return  # it reached the provider: it counts, whatever the provider answered
        used = self._usage.add(call.tenant.id, period, -1)
        del call.record[PLAN_PERIOD]
        call.response_headers["x-killtoken-plan-used"] = str(used)
