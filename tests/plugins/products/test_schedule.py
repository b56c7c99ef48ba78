"""Worked examples of the schedule engine, with their figures written out.

Sources:
* Annuity payment: B·i·(1+i)^n / ((1+i)^n − 1), i = annual rate / 12 —
  Ed Pegg Jr., "Mortgage", MathWorld, https://mathworld.wolfram.com/Mortgage.html
  (example: $100,000, 360 months, 9 % a year → $804.62), after Zwillinger (ed.),
  CRC Standard Mathematical Tables and Formulae, 30th ed., 1996.
* Equal principal (等额本金): each month repays amount / n of principal plus
  interest on what is still owed; interest-first (先息后本) and bullet
  (到期一次还本付息) follow from their definitions. Their figures below are
  worked by hand in the comments.
"""
from datetime import date
from decimal import ROUND_HALF_UP
from decimal import Decimal as D

import pytest

from plugins.products.schedule import METHODS, add_months, apr, build_schedule, due_dates, schedule_totals


def rows(schedule):
    return [(i.number, i.due_date.isoformat(), str(i.principal), str(i.interest), str(i.total), str(i.remaining))
            for i in schedule]


def test_mathworld_mortgage_payment():
    # 100,000 × 0.0075 × 1.0075^360 / (1.0075^360 − 1) = 804.6226… → 804.62 (MathWorld).
    schedule = build_schedule(D("100000.00"), D("0.09"), 360, "equal_installment", date(2025, 1, 1))
    assert {i.total for i in schedule[:-1]} == {D("804.62")}
    assert schedule[0].interest == D("750.00")  # 100,000 × 0.0075
    assert schedule[0].principal == D("54.62")  # 804.62 − 750.00
    assert sum(i.principal for i in schedule) == D("100000.00")
    assert schedule[-1].due_date == date(2054, 12, 1)


def test_twelve_month_annuity_worked_by_hand():
    # 10,000.00 at 12 % a year: i = 0.01; 1.01^12 = 1.126825030131969…
    # payment = 10,000 × 0.01 × 1.126825… / 0.126825… = 888.4878867… → 888.49.
    # Each month: interest = remaining × 0.01 rounded half-even; principal = 888.49 − interest.
    #  1: 10,000.00 × 0.01 = 100.00;  888.49 − 100.00 = 788.49; 10,000.00 − 788.49 = 9,211.51
    #  2:  9,211.51 × 0.01 =  92.1151 → 92.12; 796.37; 8,415.14
    #  3:  8,415.14 → 84.1514 → 84.15; 804.34; 7,610.80
    #  4:  7,610.80 → 76.108 → 76.11; 812.38; 6,798.42
    #  5:  6,798.42 → 67.9842 → 67.98; 820.51; 5,977.91
    #  6:  5,977.91 → 59.7791 → 59.78; 828.71; 5,149.20
    #  7:  5,149.20 → 51.492 → 51.49; 837.00; 4,312.20
    #  8:  4,312.20 → 43.122 → 43.12; 845.37; 3,466.83
    #  9:  3,466.83 → 34.6683 → 34.67; 853.82; 2,613.01
    # 10:  2,613.01 → 26.1301 → 26.13; 862.36; 1,750.65
    # 11:  1,750.65 → 17.5065 → 17.51; 870.98; 879.67
    # 12: the last repays what is left, 879.67, with 879.67 × 0.01 = 8.7967 → 8.80: 888.47.
    schedule = build_schedule(D("10000.00"), D("0.12"), 12, "equal_installment", date(2025, 1, 31))
    assert rows(schedule) == [
        (1, "2025-01-31", "788.49", "100.00", "888.49", "9211.51"),
        (2, "2025-02-28", "796.37", "92.12", "888.49", "8415.14"),
        (3, "2025-03-31", "804.34", "84.15", "888.49", "7610.80"),
        (4, "2025-04-30", "812.38", "76.11", "888.49", "6798.42"),
        (5, "2025-05-31", "820.51", "67.98", "888.49", "5977.91"),
        (6, "2025-06-30", "828.71", "59.78", "888.49", "5149.20"),
        (7, "2025-07-31", "837.00", "51.49", "888.49", "4312.20"),
        (8, "2025-08-31", "845.37", "43.12", "888.49", "3466.83"),
        (9, "2025-09-30", "853.82", "34.67", "888.49", "2613.01"),
        (10, "2025-10-31", "862.36", "26.13", "888.49", "1750.65"),
        (11, "2025-11-30", "870.98", "17.51", "888.49", "879.67"),
        (12, "2025-12-31", "879.67", "8.80", "888.47", "0.00"),
    ]
    # 11 × 888.49 + 888.47 = 10,661.86: interest 661.86.
    assert schedule_totals(schedule) == {"principal": D("10000.00"), "interest": D("661.86"), "total": D("10661.86")}


def test_equal_principal_worked_by_hand():
    # 120,000.00 over 12 months at 6 %: i = 0.005, principal part 120,000 / 12 = 10,000.00.
    # Interest on what is owed: 120,000 × 0.005 = 600.00, then 550.00, 500.00, … 50.00
    # (each month 10,000 × 0.005 = 50 less); total interest 50 × (12 + 11 + … + 1) = 50 × 78 = 3,900.00.
    schedule = build_schedule(D("120000.00"), D("0.06"), 12, "equal_principal", date(2025, 3, 15))
    assert [i.interest for i in schedule] == [D(50 * k).quantize(D("0.01")) for k in range(12, 0, -1)]
    assert {i.principal for i in schedule} == {D("10000.00")}
    assert schedule[0].total == D("10600.00") and schedule[-1].total == D("10050.00")
    assert schedule_totals(schedule)["interest"] == D("3900.00")
    assert schedule[-1].due_date == date(2026, 2, 15)


def test_equal_principal_last_part_absorbs_the_residue():
    # 1,000.00 / 3 = 333.333… → 333.33, 333.33 and the last 1,000.00 − 666.66 = 333.34.
    schedule = build_schedule(D("1000.00"), D("0"), 3, "equal_principal", date(2025, 1, 10))
    assert [i.principal for i in schedule] == [D("333.33"), D("333.33"), D("333.34")]


def test_interest_first_worked_by_hand():
    # 50,000.00 at 15 % for 6 months: 50,000 × 0.15 / 12 = 625.00 every month, principal in month 6.
    schedule = build_schedule(D("50000.00"), D("0.15"), 6, "interest_first", date(2025, 1, 5))
    assert rows(schedule)[0] == (1, "2025-01-05", "0.00", "625.00", "625.00", "50000.00")
    assert rows(schedule)[-1] == (6, "2025-06-05", "50000.00", "625.00", "50625.00", "0.00")
    assert schedule_totals(schedule)["interest"] == D("3750.00")


def test_bullet_worked_by_hand():
    # 20,000.00 at 16 % for 3 months, simple interest: 20,000 × 0.16 × 3 / 12 = 800.00, all at maturity,
    # the date of period 3 counted from the first due date.
    schedule = build_schedule(D("20000.00"), D("0.16"), 3, "bullet", date(2025, 1, 31))
    assert rows(schedule) == [(1, "2025-03-31", "20000.00", "800.00", "20800.00", "0.00")]


def test_a_true_half_cent_follows_the_rounding_rule():
    # 3.00 × 10 % / 12 = 0.025 exactly. Half-even keeps 0.02; half-up gives 0.03. Computing with a
    # 28-digit 0.1/12 = 0.008333… would give 0.0249999… and always 0.02: the engine divides exactly.
    assert build_schedule(D("3.00"), D("0.10"), 1, "interest_first", date(2025, 1, 1))[0].interest == D("0.02")
    up = build_schedule(D("3.00"), D("0.10"), 1, "interest_first", date(2025, 1, 1), rounding=ROUND_HALF_UP)
    assert up[0].interest == D("0.03")
    # 1.80 × 10 % / 12 = 0.015 → half-even 0.02 (not 0.01).
    assert build_schedule(D("1.80"), D("0.10"), 1, "interest_first", date(2025, 1, 1))[0].interest == D("0.02")


def test_small_long_zero_rate_annuity_never_overpays():
    # 100.00 over 360 months at 0 %: 100 / 360 = 0.2777… → 0.28, but 359 × 0.28 = 100.52 > 100.
    # The engine pays a cent less (0.27) so the last installment stays positive: 100 − 359 × 0.27 = 3.07.
    schedule = build_schedule(D("100.00"), D("0"), 360, "equal_installment", date(2025, 1, 1))
    assert {i.total for i in schedule[:-1]} == {D("0.27")}
    assert schedule[-1].principal == D("3.07")
    # Same for equal principal parts: rounded down when rounding up would overpay.
    parts = build_schedule(D("100.00"), D("0"), 360, "equal_principal", date(2025, 1, 1))
    assert parts[0].principal == D("0.27") and parts[-1].principal == D("3.07")


def test_zero_rate_annuity_is_principal_only():
    schedule = build_schedule(D("1200.00"), D("0"), 12, "equal_installment", date(2025, 1, 1))
    assert {(i.principal, i.interest) for i in schedule} == {(D("100.00"), D("0.00"))}


def test_one_month_term():
    for method in METHODS:
        (only,) = build_schedule(D("1000.00"), D("0.12"), 1, method, date(2025, 1, 1))
        assert (only.principal, only.interest, only.total, only.remaining) == (
            D("1000.00"), D("10.00"), D("1010.00"), D("0.00"))


def test_figures_have_two_places_even_for_whole_amounts():
    for method in METHODS:
        schedule = build_schedule(D("1000"), D("0.12"), 2, method, date(2025, 1, 1))
        assert all(getattr(i, f).as_tuple().exponent == -2
                   for i in schedule for f in ("principal", "interest", "total", "remaining"))


def test_the_callers_decimal_context_does_not_matter():
    from decimal import Inexact, localcontext

    expected = build_schedule(D("10000.00"), D("0.10"), 12, "equal_installment", date(2025, 1, 1))
    with localcontext() as ctx:
        ctx.prec = 5
        ctx.traps[Inexact] = True
        assert build_schedule(D("10000.00"), D("0.10"), 12, "equal_installment", date(2025, 1, 1)) == expected
        assert ctx.prec == 5


# -- due dates -----------------------------------------------------------------

@pytest.mark.parametrize("start, months, expected", [
    (date(2024, 1, 31), 1, date(2024, 2, 29)),  # leap year
    (date(2023, 1, 31), 1, date(2023, 2, 28)),
    (date(2024, 1, 31), 2, date(2024, 3, 31)),  # back to the anchor day
    (date(2024, 8, 31), 1, date(2024, 9, 30)),
    (date(2024, 12, 15), 1, date(2025, 1, 15)),  # over the year end
    (date(2024, 3, 31), -1, date(2024, 2, 29)),  # backwards
    (date(2024, 1, 10), 0, date(2024, 1, 10)),
])
def test_add_months(start, months, expected):
    assert add_months(start, months) == expected


def test_add_months_keeps_an_anchor_day():
    # From Feb 28 with the anchor 31: Mar 31, not Mar 28.
    assert add_months(date(2023, 2, 28), 1, anchor_day=31) == date(2023, 3, 31)
    with pytest.raises(ValueError):
        add_months(date(2023, 2, 28), 1, anchor_day=32)


def test_month_end_due_dates():
    assert due_dates(date(2024, 1, 31), 4) == (date(2024, 1, 31), date(2024, 2, 29), date(2024, 3, 31),
                                              date(2024, 4, 30))
    schedule = build_schedule(D("1000.00"), D("0.12"), 13, "equal_principal", date(2023, 12, 31))
    assert [i.due_date for i in schedule][:4] == [date(2023, 12, 31), date(2024, 1, 31), date(2024, 2, 29),
                                                  date(2024, 3, 31)]
    # Feb 29 as the first due date anchors on the 29th.
    assert due_dates(date(2024, 2, 29), 3) == (date(2024, 2, 29), date(2024, 3, 29), date(2024, 4, 29))


# -- refusals ------------------------------------------------------------------

@pytest.mark.parametrize("args, error, message", [
    ((D("100.00"), D("0.1"), 12, "balloon"), ValueError, "unknown repayment method 'balloon'"),
    ((100.0, D("0.1"), 12, "bullet"), TypeError, "must be Decimal"),
    ((D("100.00"), 0.1, 12, "bullet"), TypeError, "must be Decimal"),
    ((D("0"), D("0.1"), 12, "bullet"), ValueError, "positive amount in whole cents"),
    ((D("-5.00"), D("0.1"), 12, "bullet"), ValueError, "positive amount in whole cents"),
    ((D("10.005"), D("0.1"), 12, "bullet"), ValueError, "positive amount in whole cents"),
    ((D("Infinity"), D("0.1"), 12, "bullet"), ValueError, "positive amount in whole cents"),
    ((D("100.00"), D("-0.1"), 12, "bullet"), ValueError, "annual_rate must be zero or more"),
    ((D("100.00"), D("NaN"), 12, "bullet"), ValueError, "annual_rate must be zero or more"),
    ((D("100.00"), D("0.1"), 0, "bullet"), ValueError, "term_months must be a whole number from 1 to 600"),
    ((D("100.00"), D("0.1"), 601, "bullet"), ValueError, "term_months must be a whole number from 1 to 600"),
    ((D("100.00"), D("0.1"), 12.0, "bullet"), ValueError, "term_months must be a whole number"),
])
def test_engine_refuses_bad_input(args, error, message):
    with pytest.raises(error, match=message):
        build_schedule(*args, date(2025, 1, 1))


def test_engine_refuses_a_non_monotone_rounding():
    with pytest.raises(ValueError, match="rounding must be one of"):
        build_schedule(D("100.00"), D("0.1"), 12, "bullet", date(2025, 1, 1), rounding="ROUND_05UP")


def test_installments_are_frozen():
    from dataclasses import FrozenInstanceError

    item = build_schedule(D("100.00"), D("0.1"), 2, "equal_installment", date(2025, 1, 1))[0]
    with pytest.raises(FrozenInstanceError):
        item.total = D("1")


# -- APR -----------------------------------------------------------------------

def test_apr_of_a_plain_annuity_is_its_nominal_rate():
    schedule = build_schedule(D("10000.00"), D("0.12"), 12, "equal_installment", date(2025, 2, 1))
    assert abs(apr(D("10000.00"), schedule) - D("0.12")) < D("0.0001")


def test_apr_of_a_one_year_bullet_worked_by_hand():
    # 1,000 repaid with 120 interest after 12 months: (1 + i)^12 = 1.12,
    # i = 1.12^(1/12) − 1 = 0.0094887929…, APR = 12 i = 0.1138655… → 0.113866.
    schedule = build_schedule(D("1000.00"), D("0.12"), 12, "bullet", date(2025, 1, 1))
    assert apr(D("1000.00"), schedule, disbursed_on=date(2024, 12, 1)) == D("0.113866")


def test_a_fee_raises_the_apr():
    schedule = build_schedule(D("10000.00"), D("0"), 10, "equal_installment", date(2025, 2, 1))
    assert apr(D("10000.00"), schedule) == D("0")
    assert apr(D("10000.00"), schedule, fee=D("200.00")) > D("0.04")
    with pytest.raises(ValueError, match="fee must be less than the principal"):
        apr(D("10000.00"), schedule, fee=D("10000.00"))
