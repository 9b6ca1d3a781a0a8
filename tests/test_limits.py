"""Rate limit and monthly plan quota: exact under concurrency, a fake clock for time, persisted counts."""

from __future__ import annotations

import asyncio
import random
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from killtoken_cli.in_process import InProcessTransport
from killtoken_proxy.app import create_app
from killtoken_proxy.errors import KillTokenError
from killtoken_proxy.gateway.limits import Limits
from killtoken_proxy.gateway.pipeline import Call
from killtoken_proxy.gateway.provider_call import Attempt
from killtoken_proxy.gateway.rate_limit import SlidingWindowLimiter
from killtoken_proxy.gateway.upstream import UpstreamResponse
from killtoken_proxy.plans import next_reset, period_of
from killtoken_proxy.settings import Settings
from killtoken_proxy.store.plan_usage import PlanUsage
from killtoken_proxy.store.tenants import Tenant
from tests.admin_helpers import admin_client, chat_body, patch_tenant
from tests.conftest import LiveGateway, bootstrap
from tests.fakes.clock import FakeClock
from tests.fakes.openai_server import FakeOpenAI, Reply


# -- rate limit: exact sliding window ----------------------------------------------------------------
def test_a_burst_of_3r_lets_exactly_r_through_until_the_window_slides():
    clock = FakeClock()
    limiter = SlidingWindowLimiter(clock.monotonic)
    rate = 10
    first = [limiter.hit("tn_a", rate) for _ in range(3 * rate)]
    assert sum(d.allowed for d in first) == rate
    refused = first[rate]
    assert (refused.remaining, refused.headers()["retry-after"], refused.headers()["x-ratelimit-limit"]) == (
        0,
        "60",
        "10",
    )
    clock.advance(59.9)
    assert not limiter.hit("tn_a", rate).allowed  # no boundary where a fresh window opens early
    clock.advance(0.2)
    assert sum(limiter.hit("tn_a", rate).allowed for _ in range(3 * rate)) == rate
    assert limiter.hit("tn_b", rate).allowed  # per tenant


def test_no_60_second_window_ever_holds_more_than_the_limit():
    clock = FakeClock()
    limiter = SlidingWindowLimiter(clock.monotonic)
    rate, admitted = 7, []
    arrivals = random.Random(5)
    for _ in range(2000):
        clock.advance(arrivals.choice([0.0, 0.0, 0.5, 1.0, 3.0, 9.0, 20.0]))
        if limiter.hit("tn_a", rate).allowed:
            admitted.append(clock.monotonic())
    assert len(admitted) > 100
    for i, start in enumerate(admitted):
        in_window = [t for t in admitted[i:] if t < start + 60]
        assert len(in_window) <= rate


def test_retry_after_names_when_the_oldest_admission_leaves_the_window():
    clock = FakeClock()
    limiter = SlidingWindowLimiter(clock.monotonic)
    limiter.hit("tn_a", 2)
    clock.advance(20)
    limiter.hit("tn_a", 2)
    clock.advance(5)
    refused = limiter.hit("tn_a", 2)
    assert refused.headers()["retry-after"] == "35" and refused.headers()["x-ratelimit-reset"] == "55"
    clock.advance(35)
    assert limiter.hit("tn_a", 2).allowed


# -- plan quota: the stage on its own ---------------------------------------------------------------
def test_periods_are_utc_calendar_months():
    assert period_of(datetime(2026, 12, 31, 23, 59, tzinfo=UTC)) == "2026-12"
    assert next_reset(datetime(2026, 12, 15, tzinfo=UTC)) == datetime(2027, 1, 1, tzinfo=UTC)
    assert next_reset(datetime(2026, 2, 28, 23, 59, 59, tzinfo=UTC)) == datetime(2026, 3, 1, tzinfo=UTC)


def call_for(tenant: Tenant) -> Call:
    return Call(door="native", tenant=tenant)


def test_quota_resets_at_the_start_of_the_next_utc_month(tmp_path: Path):
    clock = FakeClock(datetime(2026, 12, 31, 23, 59, 30, tzinfo=UTC))
    limits = Limits(PlanUsage(tmp_path / "usage.json"), clock)
    tenant = Tenant(id="tn_a", name="a", plan="custom", monthly_requests=2)
    for used in (1, 2):
        call = call_for(tenant)
        limits.admit(call)
        assert call.response_headers["x-killtoken-plan-used"] == str(used)
    refused = call_for(tenant)
    with pytest.raises(KillTokenError) as caught:
        limits.admit(refused)
    assert (caught.value.status, caught.value.code) == (402, "plan_limit_exceeded")
    assert refused.response_headers["x-killtoken-plan-reset"] == "2027-01-01T00:00:00Z"
    assert "plan_period" not in refused.record
    clock.advance(30)
    renewed = call_for(tenant)
    limits.admit(renewed)
    assert renewed.response_headers["x-killtoken-plan-used"] == "1"
    assert renewed.response_headers["x-killtoken-plan-reset"] == "2027-02-01T00:00:00Z"
    assert renewed.record["plan_period"] == "2027-01"


def test_a_call_that_never_reached_the_provider_gives_its_unit_back(tmp_path: Path):
    usage = PlanUsage(tmp_path / "usage.json")
    limits = Limits(usage, FakeClock())
    tenant = Tenant(id="tn_a", name="a", plan="custom", monthly_requests=1)
    unreachable = call_for(tenant)
    limits.admit(unreachable)
    limits.settle_failure(unreachable, KillTokenError("refused", code="upstream_unreachable", status=502))
    assert usage.used("tn_a", "2026-12") == 0 and unreachable.response_headers["x-killtoken-plan-used"] == "0"
    # Vertex's OAuth token endpoint failing is upstream_error too, but the chat request never left.
    no_token = call_for(tenant)
    limits.admit(no_token)
    limits.settle_failure(no_token, KillTokenError("token endpoint 503", code="upstream_error", status=502))
    assert usage.used("tn_a", "2026-12") == 0
    answered = call_for(tenant)
    limits.admit(answered)
    answered.attempt = Attempt(sent=True, response=UpstreamResponse(400, {}, None, "", 1.0))
    limits.settle_failure(answered, KillTokenError("bad", code="upstream_bad_request", status=400))
    assert usage.used("tn_a", "2026-12") == 1
    timed_out = call_for(tenant)
    usage.add("tn_a", "2026-12", -1)
    limits.admit(timed_out)
    timed_out.attempt = Attempt(sent=True)  # sent, no answer: the provider may have done (and billed) it
    limits.settle_failure(timed_out, KillTokenError("slow", code="upstream_timeout", status=504))
    assert usage.used("tn_a", "2026-12") == 1


def test_replays_get_the_plan_headers_without_counting(tmp_path: Path):
    usage = PlanUsage(tmp_path / "usage.json")
    limits = Limits(usage, FakeClock())
    tenant = Tenant(id="tn_a", name="a", plan="free", monthly_requests=1)
    limits.admit(call_for(tenant))
    replay = call_for(tenant)
    limits.annotate(replay)  # at the limit: still described, never refused
    assert replay.response_headers["x-killtoken-plan-used"] == "1"
    assert replay.response_headers["x-killtoken-plan-limit"] == "1"
    assert usage.used("tn_a", "2026-12") == 1


def test_counts_are_written_behind_the_request_and_reloaded(tmp_path: Path):
    path = tmp_path / "usage.json"

    async def scenario() -> None:
        usage = PlanUsage(path, flush_interval=0.01)
        usage.start()
        for _ in range(5):
            usage.add("tn_a", "2026-12", 1)
        assert not path.exists()  # nothing on disk on the request path
        await asyncio.sleep(0.1)
        assert path.exists()
        usage.add("tn_a", "2026-12", 1)
        await usage.close()

    asyncio.run(scenario())
    assert PlanUsage(path).used("tn_a", "2026-12") == 6


# -- through the gateway ----------------------------------------------------------------------------
async def _burst(gateway: LiveGateway, n: int, body: dict[str, object]) -> list[httpx.Response]:
    headers = {"Authorization": f"Bearer {gateway.key}"}
    async with httpx.AsyncClient(base_url=gateway.url, headers=headers, timeout=30) as http:
        return list(await asyncio.gather(*(http.post("/v1/chat", json=body) for _ in range(n))))


def test_quota_of_n_with_4n_concurrent_requests_lets_exactly_n_through(
    openai_gateway: LiveGateway, fake_openai: FakeOpenAI
):
    quota = 6
    patch_tenant(openai_gateway, "default", monthlyRequests=quota)
    fake_openai.delay = 0.2  # every admitted call is still in flight while the others arrive
    responses = asyncio.run(_burst(openai_gateway, 4 * quota, chat_body()))
    ok = [r for r in responses if r.status_code == 200]
    refused = [r for r in responses if r.status_code == 402]
    assert (len(ok), len(refused)) == (quota, 3 * quota)
    assert len(fake_openai.received) == quota
    reset = next_reset(datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    for response in refused:
        assert response.json()["error"] == "plan_limit_exceeded"
        assert response.headers["x-killtoken-plan"] == "custom"
        assert response.headers["x-killtoken-plan-limit"] == str(quota)
        assert response.headers["x-killtoken-plan-used"] == str(quota)
        assert response.headers["x-killtoken-plan-reset"] == reset
    # The same headers ride on successes, so clients see the budget coming.
    assert sorted(int(r.headers["x-killtoken-plan-used"]) for r in ok) == list(range(1, quota + 1))
    assert all(r.headers["x-killtoken-plan-limit"] == str(quota) for r in ok)
    with admin_client(openai_gateway) as admin:
        usage = admin.get("/v1/admin/tenants/default").json()["usage"]
    assert (usage["used"], usage["remaining"]) == (quota, 0)


def test_rate_limit_through_the_gateway_and_before_the_quota(openai_gateway: LiveGateway, fake_openai: FakeOpenAI):
    patch_tenant(openai_gateway, "default", rateLimitPerMinute=3, monthlyRequests=100)
    responses = asyncio.run(_burst(openai_gateway, 9, chat_body()))
    assert sorted(r.status_code for r in responses) == [200] * 3 + [429] * 6
    limited = next(r for r in responses if r.status_code == 429)
    assert limited.json()["error"] == "rate_limited"
    assert 1 <= int(limited.headers["retry-after"]) <= 60
    assert limited.headers["x-ratelimit-limit"] == "3" and limited.headers["x-ratelimit-remaining"] == "0"
    assert limited.headers["x-killtoken-plan-used"] == "3"  # refused by the rate limit: not counted
    assert len(fake_openai.received) == 3
    ok = next(r for r in responses if r.status_code == 200)
    assert {"x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset"} <= set(ok.headers)


def test_what_counts_against_the_plan(openai_gateway: LiveGateway, fake_openai: FakeOpenAI):
    patch_tenant(openai_gateway, "default", monthlyRequests=100)
    with openai_gateway.client() as http:
        assert http.post("/v1/chat", json={**chat_body(), "messages": []}).status_code == 400  # ours: not counted
        fake_openai.replies.append(Reply(500, {"error": {"message": "boom"}}))
        failed_upstream = http.post("/v1/chat", json=chat_body())  # reached the provider: counted
        assert failed_upstream.status_code == 502 and failed_upstream.headers["x-killtoken-plan-used"] == "1"
        ok = http.post("/v1/chat", json=chat_body())
        assert ok.headers["x-killtoken-plan-used"] == "2"
        fake_openai.stop()  # nothing listens any more: the provider never receives the call
        unreachable = http.post("/v1/chat", json=chat_body())
        assert unreachable.status_code == 502 and unreachable.json()["error"] == "upstream_unreachable"
        assert unreachable.headers["x-killtoken-plan-used"] == "2"


def test_exact_cache_hits_count_against_the_plan(openai_gateway: LiveGateway, fake_openai: FakeOpenAI):
    """README "What counts": "including exact-cache hits" ($0 at the provider, not at the plan), so at the
    limit a hit is refused like any chat call; only idempotent replays are exempt."""
    patch_tenant(openai_gateway, "default", monthlyRequests=2)
    cached = {**chat_body(), "cachePolicy": {"exactCache": "read_write"}}
    with openai_gateway.client() as http:
        miss, hit, refused = (http.post("/v1/chat", json=cached) for _ in range(3))
    assert miss.json()["killtoken"]["metrics"]["cacheStatus"] == "miss"
    assert hit.json()["killtoken"]["metrics"]["cacheStatus"] == "hit"
    assert [miss.headers["x-killtoken-plan-used"], hit.headers["x-killtoken-plan-used"]] == ["1", "2"]
    assert refused.status_code == 402 and refused.json()["error"] == "plan_limit_exceeded"
    assert refused.headers["x-killtoken-plan-used"] == "2"
    patch_tenant(openai_gateway, "default", monthlyRequests=3)
    with openai_gateway.client() as http:
        again = http.post("/v1/chat", json=cached)  # what was refused was a hit, now let through
    assert again.json()["killtoken"]["metrics"]["cacheStatus"] == "hit"
    assert again.headers["x-killtoken-plan-used"] == "3"
    assert len(fake_openai.received) == 1  # the hits and the refusal never reached the provider


def test_plan_usage_survives_a_restart_and_the_month_rolls_over(
    settings: Settings, fake_openai: FakeOpenAI, tmp_path: Path
):
    key = bootstrap(settings)
    clock = FakeClock(datetime(2026, 12, 31, 23, 0, tzinfo=UTC))

    def session() -> httpx.Client:
        transport = InProcessTransport(create_app(settings, clock=clock))
        return httpx.Client(transport=transport, base_url="http://kt", headers={"Authorization": f"Bearer {key}"})

    with session() as http:
        http.post(
            "/v1/provider-credentials",
            json={
                "provider": "openai_compatible",
                "apiKey": fake_openai.expected_key,
                "config": {"baseUrl": fake_openai.base_url},
            },
        )
        token = settings.paths.admin_token_file.read_text().strip()
        patched = http.patch(
            "/v1/admin/tenants/default", json={"monthlyRequests": 2}, headers={"Authorization": f"Bearer {token}"}
        )
        assert patched.status_code == 200
        assert [http.post("/v1/chat", json=chat_body()).status_code for _ in range(2)] == [200, 200]
    # Closing the client stopped the app, which wrote the counts; a new app reads them back.
    with session() as http:
        refused = http.post("/v1/chat", json=chat_body())
        assert refused.status_code == 402 and refused.headers["x-killtoken-plan-used"] == "2"
        clock.advance(3600)
        renewed = http.post("/v1/chat", json=chat_body())
        assert renewed.status_code == 200 and renewed.headers["x-killtoken-plan-used"] == "1"


def test_a_call_refused_by_the_plan_takes_no_rate_limit_slot(tmp_path: Path):
    clock = FakeClock()
    limits = Limits(PlanUsage(tmp_path / "usage.json"), clock)
    tenant = Tenant(id="tn_a", name="a", plan="custom", monthly_requests=1, rate_limit_per_minute=3)
    limits.admit(call_for(tenant))
    for _ in range(5):  # a client retrying at its quota ...
        refused = call_for(tenant)
        with pytest.raises(KillTokenError) as caught:
            limits.admit(refused)
        assert caught.value.code == "plan_limit_exceeded"  # ... keeps getting 402, never 429
        assert refused.response_headers["x-ratelimit-remaining"] == "2"
    raised = replace(tenant, monthly_requests=10)  # an admin raises the quota: two slots are still free
    for _ in range(2):
        limits.admit(call_for(raised))
    with pytest.raises(KillTokenError) as caught:
        limits.admit(call_for(raised))
    assert caught.value.code == "rate_limited"
