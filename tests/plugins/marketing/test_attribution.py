"""The attribution models on worked examples, and their exact sums (Hypothesis)."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plugins.marketing.models import MODELS
from plugins.marketing.services.attribution import attribute, in_window, share_units

AT = datetime(2025, 3, 31, 12, tzinfo=UTC)


def days_before(*days):
    return [AT - timedelta(days=d) for d in days]


def shares(model, times, direct=None, value=D("100.00"), half_life=7):
    out = attribute(model, times, direct or [False] * len(times), AT, value, half_life)
    return [s for s, _m in out], [m for _s, m in out]


@pytest.mark.parametrize("model", MODELS)
def test_one_touch_takes_everything(model):
    assert shares(model, days_before(3), value=D("123.45")) == ([D("1")], [D("123.45")])


@pytest.mark.parametrize("model, expected", [
    ("first_touch", ["1", "0"]), ("last_touch", ["0", "1"]), ("last_non_direct", ["0", "1"]),
    ("linear", ["0.5", "0.5"]), ("position_based", ["0.5", "0.5"]),
])
def test_two_touches(model, expected):
    got, money = shares(model, days_before(10, 1))
    assert got == [D(x) for x in expected]
    assert sum(money) == D("100.00")


def test_two_touches_time_decay_halves_a_week_older_touch():
    got, money = shares("time_decay", days_before(8, 1))  # 7 days apart: weights 1 : 2
    assert got == [D("0.333333"), D("0.666667")]  # the remainder millionth goes to the largest share
    assert money == [D("33.33"), D("66.67")]


def test_position_based_forty_twenty_forty():
    got, money = shares("position_based", days_before(20, 15, 10, 5, 1), value=D("1000.00"))
    # weights 6:1:1:1:6; each share rounded down to the millionth, the 2 left to the largest (first) share
    assert got == [D("0.400002"), D("0.066666"), D("0.066666"), D("0.066666"), D("0.4")]
    assert money == [D("400.02"), D("66.66"), D("66.66"), D("66.66"), D("400.00")]
    assert sum(got) == 1 and sum(money) == D("1000.00")


def test_linear_three_touches_remainder_to_the_largest_share():
    got, money = shares("linear", days_before(3, 2, 1), value=D("100.00"))
    assert got == [D("0.333334"), D("0.333333"), D("0.333333")]
    assert money == [D("33.34"), D("33.33"), D("33.33")]


def test_last_non_direct_skips_direct_touches_unless_all_are_direct():
    times = days_before(5, 3, 1)
    assert shares("last_non_direct", times, [False, False, True])[0] == [D(0), D(1), D(0)]
    assert shares("last_non_direct", times, [True, True, True])[0] == [D(0), D(0), D(1)]
    assert shares("last_touch", times, [False, False, True])[0] == [D(0), D(0), D(1)]


def test_half_life_is_settable():
    week, day = shares("time_decay", days_before(2, 1), half_life=1)[0], shares("time_decay", days_before(2, 1))[0]
    assert week[0] == D("0.333333") and day[0] > week[0]


def test_lookback_window_includes_both_ends():
    times = [AT - timedelta(days=31), AT - timedelta(days=30), AT, AT + timedelta(seconds=1)]
    assert in_window(times, AT, 30) == [1, 2]


def test_first_and_last_touch_worked_example():
    times = days_before(9, 4, 2)
    assert shares("first_touch", times, value=D("50.00")) == ([D(1), D(0), D(0)], [D("50.00"), D("0.00"), D("0.00")])
    assert shares("last_touch", times, value=D("50.00"))[1] == [D("0.00"), D("0.00"), D("50.00")]


def test_nothing_to_share_refuses():
    with pytest.raises(ValueError):
        share_units([0, 0])


@settings(max_examples=150, deadline=None)
@given(model=st.sampled_from(MODELS),
       ages=st.lists(st.integers(min_value=0, max_value=30 * 86400), min_size=1, max_size=12),
       direct=st.lists(st.booleans(), min_size=12, max_size=12),
       cents=st.integers(min_value=0, max_value=10 ** 12),
       half_life=st.integers(min_value=1, max_value=60))
def test_shares_sum_to_one_and_money_to_the_value_exactly(model, ages, direct, cents, half_life):
    times = sorted(AT - timedelta(seconds=a) for a in ages)
    value = D(cents) / 100
    out = attribute(model, times, direct[:len(times)], AT, value, half_life)
    got, money = [s for s, _m in out], [m for _s, m in out]
    assert sum(got) == 1
    assert sum(money) == value
    assert all(s >= 0 for s in got) and all(m >= 0 for m in money)
    assert all(m.as_tuple().exponent == -2 for m in money)
    largest = max(range(len(got)), key=lambda i: (got[i], -i))
    assert money[largest] == max(money)
