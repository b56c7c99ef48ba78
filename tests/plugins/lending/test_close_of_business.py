"""Close of business: once per date, catching up, days past due, buckets, penalties, events."""
from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from sqlalchemy import select

from core.errors import UserError
from core.money import money
from plugins.lending import services
from plugins.lending.models import BusinessDate, Installment, Loan
from plugins.lending.services import cob
from plugins.lending.services.delinquency import (
    BucketError,
    bucket_for,
    days_past_due,
    parse_buckets,
)

DISBURSED = date(2025, 1, 15)  # installments fall due on the 15th, from 2025-02-15


@pytest.fixture(autouse=True)
def _today(today_is):
    today_is(date(2025, 12, 31))


def snapshot(session):
    session.expire_all()
    loans = session.execute(select(Loan.id, Loan.days_past_due, Loan.bucket, Loan.penalty_accrued)
                            .order_by(Loan.id)).all()
    installments = session.execute(select(Installment.id, Installment.penalty_accrued, Installment.paid_on)
                                   .order_by(Installment.id)).all()
    return loans, installments


def test_closing_a_date_twice_changes_nothing(session, world, events):
    world.loan(disbursed_on=DISBURSED)
    first = services.close_of_business(session, date(2025, 3, 20), start=date(2025, 3, 20))
    assert [d.business_date for d in first.days] == [date(2025, 3, 20)]
    before, calls = snapshot(session), len(events.calls)
    again = services.close_of_business(session, date(2025, 3, 20))
    assert again.days == [] and "nothing to close" in again.summary
    assert snapshot(session) == before and len(events.calls) == calls
    # Even asked directly, a closed date is refused, not closed twice.
    with pytest.raises(UserError, match="2025-03-20 is already closed"):
        cob.close_day(session, date(2025, 3, 20), parse_buckets())
    assert snapshot(session) == before


def test_skipped_days_are_caught_up(session, world):
    loan = world.loan(disbursed_on=DISBURSED)
    services.close_of_business(session, date(2025, 2, 20), start=date(2025, 2, 20))
    result = services.close_of_business(session, date(2025, 2, 24))  # the job did not run for four days
    assert [d.business_date for d in result.days] == [date(2025, 2, d) for d in (21, 22, 23, 24)]
    closed = session.scalars(select(BusinessDate.business_date).order_by(BusinessDate.business_date)).all()
    assert closed == [date(2025, 2, d) for d in range(20, 25)]
    assert loan.days_past_due == 9
    # Penalty accrues from due + grace (3) + 1 = 2025-02-19; five of those days were closed (20th-24th).
    first = loan.installments[0]
    base = first.principal_due + first.interest_due
    assert first.penalty_accrued == base * D("0.001") * 5  # exact: never rounded in SQL
    assert first.penalty_due == money(base * D("0.005"))
    assert loan.penalty_accrued == first.penalty_accrued


def test_penalties_wait_for_the_grace_days(session, world):
    loan = world.loan(disbursed_on=DISBURSED)
    services.close_of_business(session, date(2025, 2, 18), start=date(2025, 2, 15))
    assert loan.installments[0].penalty_accrued == 0 and loan.days_past_due == 3
    services.close_of_business(session, date(2025, 2, 19))
    assert loan.installments[0].penalty_accrued > 0


def test_days_past_due_buckets_and_events(session, world, events):
    late = world.loan(disbursed_on=DISBURSED)
    paying = world.loan(disbursed_on=DISBURSED)
    for installment in paying.installments[:3]:
        services.post_repayment(session, paying, installment.outstanding, installment.due_date,
                                f"P-{installment.number}")
    services.close_of_business(session, date(2025, 2, 15), start=date(2025, 2, 15))
    assert (late.days_past_due, late.bucket) == (0, "current")  # due today is not past due
    services.close_of_business(session, date(2025, 5, 16))
    assert (late.days_past_due, late.bucket) == (90, "61-90")
    assert (paying.days_past_due, paying.bucket) == (1, "1-30")  # the fourth installment, due 2025-05-15
    changes = [c for c in events.of("lending_loan_delinquency_changed") if c["loan"] == late.id]
    assert [(c["old"], c["new"], c["dpd"]) for c in changes] == [
        ("current", "1-30", 1), ("1-30", "31-60", 31), ("31-60", "61-90", 61)]
    services.close_of_business(session, date(2025, 5, 17))
    assert (late.days_past_due, late.bucket) == (91, "91+")
    assert events.of("lending_loan_delinquency_changed")[-1] == {"loan": late.id, "old": "61-90", "new": "91+",
                                                                 "dpd": 91}


def test_closed_and_written_off_loans_are_left_alone(session, world):
    loan = world.loan(disbursed_on=DISBURSED)
    services.write_off(session, loan, "fraud")
    services.close_of_business(session, date(2025, 4, 1), start=date(2025, 4, 1))
    assert (loan.days_past_due, loan.bucket, loan.penalty_accrued) == (0, "current", 0)


def test_bucket_ranges_come_from_settings(session, world):
    session.info["mutuo.settings"] = {**session.info["mutuo.settings"], "lending.buckets": "1-10 11-20 21+"}
    loan = world.loan(disbursed_on=DISBURSED)
    services.close_of_business(session, date(2025, 3, 1), start=date(2025, 3, 1))
    assert (loan.days_past_due, loan.bucket) == (14, "11-20")


@pytest.mark.parametrize("text, problem", [
    ("0-30 31+", "should start at 1"),
    ("1-30 40-60 61+", "should start at 31"),
    ("1-30 31-60", "not valid"),
    ("1-30 31+ 61+", "not valid"),
    ("1-x 31+", "not valid"),
])
def test_bad_bucket_settings_say_how_to_write_them(text, problem):
    with pytest.raises(BucketError, match=problem):
        parse_buckets(text)


def test_python_and_sql_rules_agree(session, world):
    """The set-based SQL and the one-loan Python function give the same days past due and buckets."""
    buckets = parse_buckets()
    loans = [world.loan(disbursed_on=DISBURSED + timedelta(days=n * 9)) for n in range(6)]
    for n, loan in enumerate(loans):  # different payment histories
        for installment in loan.installments[:n]:
            services.post_repayment(session, loan, installment.outstanding, installment.due_date,
                                    f"A-{loan.id}-{installment.number}")
    for day in (date(2025, 3, 1), date(2025, 6, 30), date(2025, 11, 2)):
        services.close_of_business(session, day, start=day)
        session.expire_all()
        for loan in loans:
            unpaid = [i.due_date for i in loan.installments if i.paid_on is None]
            assert loan.oldest_unpaid_due == min(unpaid, default=None)  # kept by the services
            dpd = days_past_due(unpaid, day)
            assert (loan.days_past_due, loan.bucket) == (dpd, bucket_for(dpd, buckets)), (loan.id, day)


def test_catch_up_is_bounded(session):
    with pytest.raises(UserError, match="catch up"):
        cob.dates_to_close(session, date(2040, 1, 1), start=date(2020, 1, 1))
