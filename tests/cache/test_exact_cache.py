"""The exact cache through the live gateway: hits are free and exact, misses are honest, tenants never share."""

from __future__ import annotations

import json
from typing import Any

import openai
import pytest

from killtoken_proxy.settings import Settings
from tests.cache.conftest import HELLO, PRICED, GatedOpenAI, Priced, clocked_gateway, metrics_of
from tests.conftest import running_gateway
from tests.fakes.clock import FakeClock
from tests.fakes.openai_server import Reply, completion

READ_WRITE = {"exactCache": "read_write"}


def with_policy(mode: str, **extra: Any) -> dict[str, Any]:
    return {**PRICED, "cachePolicy": {"exactCache": mode}, **extra}


def test_a_hit_costs_nothing_and_saves_exactly_what_the_original_cost(priced: Priced):
    priced.upstream.replies.append(Reply(200, completion(prompt_tokens=1000, completion_tokens=100, cached=200)))
    first = priced.chat({**PRICED, "cachePolicy": READ_WRITE, "temperature": 0.5})
    original = metrics_of(first)
    assert original["cacheStatus"] == "miss" and original["costUsd"] == "0.0005"

    # The same request: keys in another order, other JSON whitespace, another feature tag.
    again = {"temperature": 0.5, "cachePolicy": {"exactCache": "read_write"}, "messages": HELLO, **PRICED}
    raw = json.dumps(dict(reversed(list(again.items()))), indent=3).encode()
    second = priced.chat(raw, {"x-killtoken-feature": "another-feature"})
    hit = metrics_of(second)

    assert len(priced.upstream.received) == 1
    assert hit["cacheStatus"] == "hit" and hit["costUsd"] == "0" and hit["priced"] is True
    assert hit["verifiedSavingsUsd"] == original["costUsd"]
    assert hit["promptTokens"] == hit["completionTokens"] == 0
    assert hit["requestId"] != original["requestId"]
    assert second.headers["x-killtoken-request-id"] == hit["requestId"]
    assert json.loads(second.headers["x-killtoken-metrics"]) == hit
    assert hit["replay"] is False and hit["originalRequestId"] is None
    body, stored = second.json(), first.json()
    body.pop("killtoken"), stored.pop("killtoken")
    assert body == stored  # the stored answer, usage block included, untouched

    record = next(r for r in priced.requests() if r["id"] == hit["requestId"])
    assert record["cache_status"] == "hit" and record["cost_usd"] == "0"
    assert record["verified_savings_usd"] == "0.0005"
    assert record["cached_from_request_id"] == original["requestId"]
    assert record["feature"] == "another-feature"


@pytest.mark.parametrize(
    "change",
    [
        {"temperature": 0.9},
        {"top_p": 0.5},
        {"max_tokens": 64},
        {"stop": ["."]},
        {"seed": 1},
        {"n": 2},
        {"response_format": {"type": "json_object"}},
        {"tools": [{"type": "function", "function": {"name": "capital", "parameters": {"type": "object"}}}]},
        {"tool_choice": "none"},
        {"model": "gpt-4.1"},
        {"messages": [{"role": "user", "content": "Capital of Italy?"}]},
    ],
)
def test_any_output_affecting_change_misses(priced: Priced, change: dict[str, Any]):
    assert metrics_of(priced.chat(with_policy("read_write")))["cacheStatus"] == "miss"
    changed = metrics_of(priced.chat({**with_policy("read_write"), **change}))
    assert changed["cacheStatus"] == "miss" and changed["costUsd"] != "0"
    assert len(priced.upstream.received) == 2


def test_two_tenants_sending_the_same_request_never_share_an_entry(priced: Priced):
    assert metrics_of(priced.chat(with_policy("read_write")))["cacheStatus"] == "miss"
    other = metrics_of(priced.chat(with_policy("read_write"), tenant="b"))
    assert other["cacheStatus"] == "miss" and len(priced.upstream.received) == 2
    assert metrics_of(priced.chat(with_policy("read_only"), tenant="b"))["cacheStatus"] == "hit"
    assert metrics_of(priced.chat(with_policy("read_only")))["cacheStatus"] == "hit"
    assert len(priced.upstream.received) == 2


def test_modes_read_and_write_only_what_they_say(priced: Priced):
    assert metrics_of(priced.chat(PRICED))["cacheStatus"] == "bypass"  # the default stores nothing
    assert metrics_of(priced.chat(with_policy("read_only")))["cacheStatus"] == "miss"  # and a read stores nothing
    assert metrics_of(priced.chat(with_policy("read_only")))["cacheStatus"] == "miss"
    assert metrics_of(priced.chat(with_policy("write_only")))["cacheStatus"] == "write"
    assert metrics_of(priced.chat(with_policy("write_only")))["cacheStatus"] == "write"  # never reads
    assert metrics_of(priced.chat(with_policy("bypass")))["cacheStatus"] == "bypass"  # never reads either
    assert len(priced.upstream.received) == 6
    assert metrics_of(priced.chat(with_policy("read_only")))["cacheStatus"] == "hit"
    assert metrics_of(priced.chat(with_policy("read_write")))["cacheStatus"] == "hit"
    assert len(priced.upstream.received) == 6


def cut_off(reason: str | None) -> Reply:
    body = completion()
    body["choices"][0]["finish_reason"] = reason
    return Reply(200, body)


@pytest.mark.parametrize(
    ("reply", "extra", "stored"),
    [
        (cut_off("length"), {}, False),  # truncated by a limit nobody asked for
        (cut_off("length"), {"max_tokens": 5}, True),  # the cut the request asked for (the limit is in the key)
        (cut_off("length"), {"max_completion_tokens": 5}, True),
        (cut_off("content_filter"), {}, False),
        (cut_off(None), {}, True),  # the adapter reads a missing reason as "stop" (reference §2.2)
        (cut_off("tool_calls"), {}, True),
        (Reply(500, {"error": {"message": "boom"}}), {}, False),
        (Reply(400, {"error": {"message": "bad"}}), {}, False),
    ],
)
def test_only_complete_successful_answers_are_stored(priced: Priced, reply: Reply, extra: dict[str, Any], stored: bool):
    priced.upstream.replies.append(reply)
    first = priced.chat(with_policy("write_only", **extra))
    if first.status_code == 200:
        assert metrics_of(first)["cacheStatus"] == ("write" if stored else "bypass")
    assert metrics_of(priced.chat(with_policy("read_only", **extra)))["cacheStatus"] == ("hit" if stored else "miss")


def test_ttl_seconds_on_a_read_refuses_older_entries(priced: Priced):
    metrics_of(priced.chat(with_policy("write_only")))
    fresh_enough = {**PRICED, "cachePolicy": {"exactCache": "read_only", "ttlSeconds": 3600}}
    too_old = {**PRICED, "cachePolicy": {"exactCache": "read_only", "ttlSeconds": 1e-9}}
    assert metrics_of(priced.chat(fresh_enough))["cacheStatus"] == "hit"
    assert metrics_of(priced.chat(too_old))["cacheStatus"] == "miss"


@pytest.mark.parametrize(
    ("env", "ttl_seconds", "lifetime"),
    [
        ({}, 60, 60),  # the writing request's own ttlSeconds
        ({}, None, 86400),  # none given: the default, one day
        ({"KILLTOKEN_CACHE_TTL_SECONDS": "600"}, None, 600),
        ({"KILLTOKEN_CACHE_TTL_SECONDS": "600"}, 3600, 3600),  # the request's own wins, even when longer
    ],
)
def test_an_entry_hits_until_its_ttl_has_passed_and_then_misses(
    monkeypatch: pytest.MonkeyPatch, upstream: GatedOpenAI, env: dict[str, str], ttl_seconds: int | None, lifetime: int
):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    write = {"exactCache": "write_only"} | ({"ttlSeconds": ttl_seconds} if ttl_seconds else {})
    read_any_age = {**PRICED, "cachePolicy": {"exactCache": "read_only"}}  # no ttlSeconds: no limit on the read
    clock = FakeClock()
    with clocked_gateway(Settings.from_env(), clock, upstream) as http:
        assert metrics_of(http.post("/v1/chat", json={**PRICED, "cachePolicy": write}))["cacheStatus"] == "write"
        clock.advance(lifetime - 1)
        assert metrics_of(http.post("/v1/chat", json=read_any_age))["cacheStatus"] == "hit"
        clock.advance(2)
        assert metrics_of(http.post("/v1/chat", json=read_any_age))["cacheStatus"] == "miss"
    assert len(upstream.received) == 2


def test_the_openai_sdk_uses_the_cache_through_extra_body(priced: Priced):
    client = openai.OpenAI(base_url=f"{priced.a.url}/v1/openai", api_key=priced.a.key, max_retries=0)
    policy = {"cachePolicy": READ_WRITE}
    first = client.chat.completions.create(model="gpt-4.1-mini", messages=HELLO, extra_body=policy, seed=3)
    second = client.chat.completions.create(model="gpt-4.1-mini", messages=HELLO, extra_body=policy, seed=3)
    assert second.choices[0].message.content == first.choices[0].message.content == "Paris"
    m1, m2 = first.model_extra["killtoken"]["metrics"], second.model_extra["killtoken"]["metrics"]
    assert (m1["cacheStatus"], m2["cacheStatus"]) == ("miss", "hit")
    assert m2["verifiedSavingsUsd"] == m1["costUsd"] != "0"
    assert priced.upstream.received[0].body.get("cachePolicy") is None  # our field never goes upstream


def test_native_door_hit_matches_an_openai_door_write(priced: Priced):
    client = openai.OpenAI(base_url=f"{priced.a.url}/v1/openai", api_key=priced.a.key, max_retries=0)
    client.chat.completions.create(model="gpt-4.1-mini", messages=HELLO, extra_body={"cachePolicy": READ_WRITE})
    assert metrics_of(priced.chat(with_policy("read_only")))["cacheStatus"] == "hit"


def test_stats_and_clear_are_per_tenant(priced: Priced):
    priced.upstream.replies.append(Reply(200, completion(prompt_tokens=1000, completion_tokens=100, cached=200)))
    metrics_of(priced.chat(with_policy("read_write")))
    metrics_of(priced.chat(with_policy("read_write")))
    metrics_of(priced.chat(with_policy("read_write", seed=2)))
    metrics_of(priced.chat(with_policy("read_write"), tenant="b"))
    with priced.a.client() as http:
        stats = http.get("/v1/cache/stats").json()
        kept = http.delete("/v1/cache/entries", params={"olderThanSeconds": 3600}).json()
        bad = http.delete("/v1/cache/entries", params={"olderThanSeconds": -1})
        cleared = http.delete("/v1/cache/entries").json()
        after = http.get("/v1/cache/stats").json()
    assert stats["tenant"] == "default" and stats["entries"] == 2 and stats["sizeBytes"] > 0
    assert (stats["lookups"], stats["hits"], stats["misses"], stats["writes"]) == (3, 1, 2, 2)
    assert stats["hitRate"] == pytest.approx(1 / 3, abs=1e-4)
    assert stats["verifiedSavingsUsd"] == "0.0005"
    assert kept == {"removed": 0, "freedBytes": 0}
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_request"
    assert cleared["removed"] == 2 and cleared["freedBytes"] == stats["sizeBytes"]
    assert after["entries"] == 0 and after["hits"] == 1  # clearing entries keeps the history of hits
    assert metrics_of(priced.chat(with_policy("read_only")))["cacheStatus"] == "miss"
    assert metrics_of(priced.chat(with_policy("read_only"), tenant="b"))["cacheStatus"] == "hit"  # B untouched


def test_cache_endpoints_need_a_tenant_key(priced: Priced):
    with priced.a.client() as http:
        http.headers.pop("Authorization")
        assert http.get("/v1/cache/stats").json()["error"] == "tenant_not_resolved"
        assert http.delete("/v1/cache/entries").status_code == 401


def test_hits_and_replays_record_content_and_the_shadow_estimate_like_any_call(priced: Priced):
    with priced.a.client() as http:
        assert http.patch("/v1/ledger/settings", json={"storeContent": True}).status_code == 200
    cached = {**PRICED, "cachePolicy": READ_WRITE}
    keyed = {**PRICED, "idempotencyKey": "content-and-shadow"}
    calls = {name: priced.chat(body) for name, body in (("miss", cached), ("hit", cached), ("first", keyed))}
    calls["replay"] = priced.chat(keyed)
    with priced.a.client() as http:
        rows = {n: http.get(f"/v1/requests/{r.headers['x-killtoken-request-id']}").json() for n, r in calls.items()}
    assert metrics_of(calls["hit"])["cacheStatus"] == "hit" and metrics_of(calls["replay"])["replay"] is True
    assert metrics_of(calls["replay"])["cacheStatus"] == "bypass"  # a replay does not come from the cache
    for name in ("hit", "replay"):
        assert rows[name]["content"]["messages"] == HELLO
        assert rows[name]["content"]["choices"] == rows["miss"]["content"]["choices"]
        # Same fields as a paid call; a call that paid nothing gives an optimization mode nothing to save.
        assert rows[name]["potential_savings_usd"].keys() == rows["miss"]["potential_savings_usd"].keys()
        assert set(rows[name]["potential_savings_usd"].values()) == {"0"}


def test_cache_status_says_write_only_when_the_cache_took_the_answer(settings: Settings, upstream: GatedOpenAI):
    with running_gateway(settings.replace(cache_max_bytes=4000)) as gateway:
        gateway.add_credential("openai", baseUrl=upstream.base_url)
        tiny = Priced(gateway, gateway, upstream)
        write_only = {**PRICED, "cachePolicy": {"exactCache": "write_only"}}
        upstream.replies.append(Reply(200, completion("x" * 8000)))  # alone larger than the whole cache
        too_big = tiny.chat(write_only)
        stored = tiny.chat({**write_only, "temperature": 0})
        upstream.replies.append(Reply(200, completion("y" * 8000)))
        big_miss = tiny.chat({**PRICED, "cachePolicy": READ_WRITE})
        with gateway.client() as http:
            rows = {
                name: http.get(f"/v1/requests/{r.headers['x-killtoken-request-id']}").json()
                for name, r in (("too_big", too_big), ("stored", stored), ("big_miss", big_miss))
            }
    assert metrics_of(too_big)["cacheStatus"] == "bypass" and rows["too_big"]["cache_status"] == "bypass"
    assert json.loads(too_big.headers["x-killtoken-metrics"])["cacheStatus"] == "bypass"
    assert metrics_of(stored)["cacheStatus"] == "write" and rows["stored"]["cache_written"] is True
    assert rows["too_big"]["cache_written"] is False
    assert metrics_of(big_miss)["cacheStatus"] == "miss" and rows["big_miss"]["cache_written"] is False
