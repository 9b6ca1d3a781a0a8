"""Plans: named monthly request quotas, the default rate limit, and the UTC calendar-month periods."""

from __future__ import annotations

from datetime import UTC, datetime

# Monthly gateway requests per plan; None means no monthly limit.
PLANS: dict[str, int | None] = {"free": 1_000, "pro": 100_000, "unlimited": None}
CUSTOM_PLAN = "custom"  # the plan name of a tenant given its own `monthlyRequests`
DEFAULT_PLAN = "unlimited"  # a local gateway: quotas are opt-in, per tenant
DEFAULT_RATE_LIMIT_PER_MINUTE = 120  # the contract's default abuse guardrail
MAX_RATE_LIMIT_PER_MINUTE = 100_000  # the sliding window keeps one timestamp per admitted request
MAX_MONTHLY_REQUESTS = 1_000_000_000


def period_of(moment: datetime) -> str:
    """The quota period (a UTC calendar month) a moment falls in, as `YYYY-MM`."""
    utc = moment.astimezone(UTC)
    return f"{utc.year}-{utc.month:02d}"  # per request: an f-string costs a third of strftime


def next_reset(moment: datetime) -> datetime:
    """The start of the next UTC calendar month: when the monthly quota starts again from zero."""
    utc = moment.astimezone(UTC)
    year, month = (utc.year + 1, 1) if utc.month == 12 else (utc.year, utc.month + 1)
    return datetime(year, month, 1, tzinfo=UTC)


def iso_z(moment: datetime) -> str:
    utc = moment.astimezone(UTC)
    return f"{utc.year}-{utc.month:02d}-{utc.day:02d}T{utc.hour:02d}:{utc.minute:02d}:{utc.second:02d}Z"
