"""What an error answer carries once the tenant is known: the plan headers and `x-killtoken-metrics`
(no tokens, cost "0"), like a success, so clients read one set of headers whatever the outcome."""

from __future__ import annotations

from typing import TYPE_CHECKING

from killtoken_proxy.gateway.limits import Limits
from killtoken_proxy.gateway.metrics import ZERO, CallMetrics, header_value
from killtoken_proxy.providers.base import Usage

if TYPE_CHECKING:
    from killtoken_proxy.gateway.pipeline import Call


def failure_headers(call: Call, limits: Limits) -> dict[str, str]:
    if call.tenant is None:
        return {}  # a 401: there is no tenant to show a plan or metrics for
    if "x-killtoken-plan" not in call.response_headers:
        limits.annotate(call)  # refused before the limits stage: the plan as it stands
    request = call.request
    metrics = CallMetrics(
        request_id=call.request_id,
        provider=call.provider,
        model=request.model if request else None,
        feature=call.feature,
        optimization_mode=request.optimization_mode if request else None,
        usage=Usage(reported=False),
        cost_usd=ZERO,
        cache_status="bypass",
        total_ms=call.elapsed_ms(),
        upstream_ms=call.attempt.response.elapsed_ms if call.attempt.response else 0.0,
        optimization=call.optimization.to_json() if call.optimization else None,
        template=call.template.to_json() if call.template else None,
    )
    return {**call.response_headers, "x-killtoken-metrics": header_value(metrics.to_json())}
