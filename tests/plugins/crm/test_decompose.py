"""The decomposition rules: every level sums exactly to its parent, pro-rata joiners, all twelve months."""
from __future__ import annotations

from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plugins.crm.services.decompose import UNIT, Member, TeamShare, decompose, split

cents = st.integers(min_value=0, max_value=10**12).map(lambda c: D(c) / 100)
weights = st.integers(min_value=0, max_value=1000).map(D)
members = st.lists(st.tuples(weights, st.integers(1, 12)), min_size=1, max_size=6)
teams = st.lists(st.tuples(st.integers(1, 1000).map(D), members), min_size=1, max_size=4)
months = st.lists(st.integers(0, 50).map(D), min_size=12, max_size=12).filter(lambda w: sum(w) > 0)


def _teams(spec):
    out, uid = [], 0
    for n, (weight, people) in enumerate(spec):
        ms = []
        for w, joined in people:
            uid += 1
            ms.append(Member(uid, w + 1, joined))  # a member weight above zero
        out.append(TeamShare(n + 1, weight, ms))
    return out


@settings(max_examples=200, deadline=None)
@given(amount=cents, spec=teams, month_weights=months)
def test_every_level_sums_exactly_to_its_parent(amount, spec, month_weights):
    result = decompose(amount, _teams(spec), month_weights)
    assert sum(t.amount for t in result) == amount
    for team in result:
        assert sum(p.amount for p in team.people) == team.amount
        for person in team.people:
            assert len(person.months) == 12  # all months present
            assert sum(person.months) == person.amount
            assert all(m == m.quantize(D("0.01")) and m >= 0 for m in person.months)
        assert sum(team.month(m) for m in range(1, 13)) == team.amount


@settings(max_examples=100, deadline=None)
@given(amount=st.integers(0, 10**6).map(D), spec=teams)
def test_counts_split_in_whole_units(amount, spec):
    result = decompose(amount, _teams(spec), quantum=UNIT)
    assert sum(t.amount for t in result) == amount
    for person in (p for t in result for p in t.people):
        assert all(m == m.to_integral_value() for m in person.months)
        assert sum(person.months) == person.amount


def test_a_mid_year_joiner_gets_a_pro_rata_share_and_nothing_before_joining():
    # two people of equal weight; the second joins in July: 12 months against 6 -> 2/3 and 1/3
    [team] = decompose(D("1200.00"), [TeamShare(1, D(1), [Member(1), Member(2, D(1), 7)])])
    first, joiner = team.people
    assert (first.amount, joiner.amount) == (D("800.00"), D("400.00"))
    assert joiner.months[:6] == [D("0.00")] * 6
    assert joiner.months[6:] == [D("66.67"), D("66.67"), D("66.67"), D("66.67"), D("66.66"), D("66.66")]
    assert sum(joiner.months) == D("400.00")


def test_the_remainder_goes_to_the_largest_remainders_then_the_earlier_part():
    # 100.00 in three: 33.333… each; the one cent left goes to the first (ties: earlier first)
    assert split(D("100.00"), [D(1), D(1), D(1)]) == [D("33.34"), D("33.33"), D("33.33")]
    # 10.00 by 1:2 -> 3.333… and 6.666…: the larger remainder (.666) gets the cent
    assert split(D("10.00"), [D(1), D(2)]) == [D("3.33"), D("6.67")]


def test_amounts_that_add_up_to_the_parent_are_kept_exactly():
    result = decompose(D("1000.00"), [TeamShare(1, D("700.00"), [Member(1)]), TeamShare(2, D("300.00"), [Member(2)])])
    assert [t.amount for t in result] == [D("700.00"), D("300.00")]


def test_a_share_for_a_team_without_people_is_refused():
    with pytest.raises(ValueError):
        decompose(D("10.00"), [TeamShare(1, D(1), [])])
