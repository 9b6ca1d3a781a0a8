"""One rule for every USD string the API emits (`money_text`) and one for what `kt` shows (`usd`)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from killtoken_cli.output import usd
from killtoken_proxy.money import money_text
from killtoken_proxy.store.cache_counters import TenantCounters


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("0.0000200", "0.00002"),  # what /v1/cache/stats used to show
        ("1E+2", "100"),
        ("0.00000000000049", "0"),  # below half a trillionth
        ("0.0000000000015", "0.000000000002"),  # half-even at the 12th decimal
        ("12.3400", "12.34"),
        ("-0.50", "-0.5"),
        ("0E-10", "0"),
    ],
)
def test_money_text_is_normalized_with_at_most_twelve_decimals(value: str, text: str):
    assert money_text(Decimal(value)) == text
    assert money_text(None) is None


def test_cache_stats_savings_use_the_same_rule():
    counters = TenantCounters()
    counters.saved_usd = Decimal("0.0000200")
    assert counters.to_json()["savedUsd"] == "0.00002"


@pytest.mark.parametrize(
    ("text", "exact", "shown"),
    [
        ("1234.567", False, "$1,234.57"),
        ("0.000543219", False, "$0.0005432"),
        ("0.000543219", True, "$0.000543219"),
        ("0", False, "$0"),
        (None, False, "n/a"),
    ],
)
def test_kt_shows_money_one_way(text: str | None, exact: bool, shown: str):
    assert usd(text, exact=exact) == shown
