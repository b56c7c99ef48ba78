"""Properties every schedule has, for every method, over Hypothesis-chosen loans."""
from datetime import date
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP
from decimal import Decimal as D

from hypothesis import given, settings
from hypothesis import strategies as st

from core.money import money
from plugins.products.schedule import MAX_TERM_MONTHS, add_months, build_schedule

amounts = st.integers(min_value=1, max_value=10**11).map(lambda cents: D(cents).scaleb(-2))  # 0.01 … 1,000,000,000.00
realistic_amounts = st.integers(min_value=100_00, max_value=10**9).map(lambda cents: D(cents).scaleb(-2))
rates = st.integers(min_value=0, max_value=1_000_000).map(lambda millionths: D(millionths) / 1_000_000)  # 0 … 100 %
terms = st.integers(min_value=1, max_value=MAX_TERM_MONTHS)
first_dates = st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31))
roundings = st.sampled_from([ROUND_HALF_EVEN, ROUND_HALF_UP])

FIELDS = ("principal", "interest", "total", "remaining")


def interest_on(remaining: D, annual: D, rounding=ROUND_HALF_EVEN) -> D:
    """The rule, independently: remaining × (annual / 12), the monthly rate taken exactly."""
    return money(remaining * annual / 12, rounding)


def check_common(schedule, principal, first):
    # Principal sums exactly to the amount; no part is negative; the remaining column is consistent.
    assert sum(i.principal for i in schedule) == principal
    owed = principal
    for item in schedule:
        assert all(getattr(item, f) >= 0 for f in FIELDS), item
        assert all(getattr(item, f).as_tuple().exponent == -2 for f in FIELDS), item
        assert item.total == item.principal + item.interest
        owed -= item.principal
        assert item.remaining == owed
    assert schedule[-1].remaining == 0
    assert [i.number for i in schedule] == list(range(1, len(schedule) + 1))


@settings(max_examples=300, deadline=None)
@given(amounts, rates, terms, first_dates, roundings)
def test_equal_installment(principal, annual, n, first, rounding):
    schedule = build_schedule(principal, annual, n, "equal_installment", first, rounding=rounding)
    assert len(schedule) == n
    check_common(schedule, principal, first)
    # Totals equal except the last, which absorbs the residue.
    assert len({i.total for i in schedule[:-1]}) <= 1
    # Each period's interest is the remaining principal × monthly rate, rounded.
    owed = principal
    for item in schedule:
        assert item.interest == interest_on(owed, annual, rounding)
        owed = item.remaining
    assert [i.due_date for i in schedule] == [add_months(first, k) for k in range(n)]


@settings(max_examples=300, deadline=None)
@given(realistic_amounts, rates, terms, first_dates)
def test_equal_installment_payment_is_the_annuity_rounded(principal, annual, n, first):
    # For loans of at least 100.00 the level payment is the annuity formula rounded half-even, or a
    # cent less when the rounded payment would have overpaid the loan before the last installment.
    schedule = build_schedule(principal, annual, n, "equal_installment", first)
    if n == 1:
        return
    i = annual / 12
    exact = money(principal / n if i == 0 else principal * i / (1 - (1 + i) ** -n))
    payment = schedule[0].total
    assert payment == exact or (payment == exact - D("0.01") and exact * (n - 1) > principal)
    # The last installment differs by no more than the roundings of n periods could add up to.
    assert abs(schedule[-1].total - payment) <= D("0.01") * n * (1 + i) ** n


@settings(max_examples=300, deadline=None)
@given(amounts, rates, terms, first_dates, roundings)
def test_equal_principal(principal, annual, n, first, rounding):
    schedule = build_schedule(principal, annual, n, "equal_principal", first, rounding=rounding)
    assert len(schedule) == n
    check_common(schedule, principal, first)
    # Principal parts equal except the last; the level part is amount / n rounded (down only to stay positive).
    assert len({i.principal for i in schedule[:-1]}) <= 1
    if n > 1:
        part = schedule[0].principal
        assert part in (money(principal / n, rounding), (principal / n).quantize(D("0.01"), "ROUND_DOWN"))
    owed = principal
    for item in schedule:
        assert item.interest == interest_on(owed, annual, rounding)
        owed = item.remaining


@settings(max_examples=200, deadline=None)
@given(amounts, rates, terms, first_dates, roundings)
def test_interest_first(principal, annual, n, first, rounding):
    schedule = build_schedule(principal, annual, n, "interest_first", first, rounding=rounding)
    assert len(schedule) == n
    check_common(schedule, principal, first)
    assert all(i.principal == 0 for i in schedule[:-1]) and schedule[-1].principal == principal
    assert {i.interest for i in schedule} == {interest_on(principal, annual, rounding)}


@settings(max_examples=200, deadline=None)
@given(amounts, rates, terms, first_dates, roundings)
def test_bullet(principal, annual, n, first, rounding):
    (only,) = build_schedule(principal, annual, n, "bullet", first, rounding=rounding)
    check_common([only], principal, first)
    # One period of n months: simple interest on the whole amount.
    assert only.interest == money(principal * annual * n / 12, rounding)
    assert only.due_date == add_months(first, n - 1)


@given(first_dates, st.integers(min_value=-1200, max_value=1200))
def test_add_months_round_trips_on_safe_days(first, months):
    moved = add_months(first, months)
    assert (moved.year * 12 + moved.month) - (first.year * 12 + first.month) == months
    assert moved.day == min(first.day, moved.day) and (moved.day == first.day or moved.day >= 28)
