"""Money-safe concurrency: requests racing for the same money, on PostgreSQL (issue 11, item 1).

Each test starts eight threads, each with its own session (its own
connection and transaction), holds them behind a barrier and lets them go at
once. The checks are about money, never about time: the sum reserved or paid
never exceeds what the record allows, and every refusal is a
:class:`core.errors.ConflictError` (HTTP 409) with a message that says why.

SQLite serialises writers (``BEGIN IMMEDIATE``), so the races only exist on
PostgreSQL: set ``MUTUO_TEST_DATABASE_URL`` to run them.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest
from sqlalchemy import func, select

from core import testing
from core.errors import ConflictError
from plugins.lending import services
from plugins.lending.models import Application, CashEntry, Customer, Investment, Loan, Repayment

from .test_views import build  # noqa: F401  (fixture: build(fn(world, session)), committed)

THREADS = 8
TODAY = date(2025, 3, 1)

pytestmark = pytest.mark.postgres


@pytest.fixture(autouse=True)
def _postgres_only(mutuo_db, today_is):
    if mutuo_db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only (set MUTUO_TEST_DATABASE_URL): SQLite serialises writers")
    today_is(TODAY)


def race(mutuo_db, work):
    """``work(session, n, barrier)`` in eight threads at once (see :func:`core.testing.race`)."""
    return testing.race(mutuo_db, work, THREADS)  # the factory's sessions carry the plugin manager


def assert_conflicts(errors: list[Exception], *fields: str) -> None:
    for exc in errors:
        assert isinstance(exc, ConflictError), repr(exc)
        assert exc.field in fields, (exc.field, str(exc))
        assert str(exc).strip()


def listed_with_investors(world, session):
    """A listed application of 5,000 and eight investors with 10,000 each: (application id, investor ids)."""
    application = world.listed(amount=D("5000.00"), listed_on=TODAY)
    return application.id, [world.investor(cash=D("10000.00")).id for _ in range(THREADS)]


def test_eight_investments_racing_never_over_fund_an_application(mutuo_db, build):
    """8 × 5,000 on a 5,000 application: one reservation, seven 409s (it once reserved 25,000)."""
    application_id, investors = build(listed_with_investors)

    def invest(session, n, barrier):
        application = session.get(Application, application_id)
        investor = session.get(Customer, investors[n])
        services.remaining(session, application)  # read before the race, like the invest page does
        barrier.wait()
        return services.invest(session, application, investor, D("5000.00")).id

    results, errors = race(mutuo_db, invest)
    with mutuo_db.session_factory() as session:
        reserved = session.scalar(select(func.sum(Investment.amount)).where(
            Investment.application_id == application_id, Investment.status == "reserved"))
        status = session.get(Application, application_id).status
    assert reserved == D("5000.00")
    assert (len(results), len(errors), status) == (1, THREADS - 1, "funded")
    assert_conflicts(errors, "amount", "status")


def test_eight_small_investments_racing_stop_at_the_amount(mutuo_db, build):
    """8 × 1,000 on a 5,000 application: exactly five succeed, the sum is the amount."""
    application_id, investors = build(listed_with_investors)

    def invest(session, n, barrier):
        application = session.get(Application, application_id)
        investor = session.get(Customer, investors[n])
        barrier.wait()
        return services.invest(session, application, investor, D("1000.00")).id

    results, errors = race(mutuo_db, invest)
    with mutuo_db.session_factory() as session:
        reserved = session.scalar(select(func.sum(Investment.amount)).where(
            Investment.application_id == application_id, Investment.status == "reserved"))
    assert reserved == D("5000.00") and len(results) == 5
    assert_conflicts(errors, "amount", "status")


def test_eight_withdrawals_racing_never_make_a_balance_negative(mutuo_db, build):
    def setup(world, session):
        return world.investor(cash=D("1000.00")).id

    investor_id = build(setup)

    def withdraw(session, n, barrier):
        investor = session.get(Customer, investor_id)
        services.available(session, investor_id)
        barrier.wait()
        return services.withdraw(session, investor, D("300.00"), reference=f"W{n}").id

    results, errors = race(mutuo_db, withdraw)
    with mutuo_db.session_factory() as session:
        balance = services.balance(session, investor_id)
        withdrawals = session.scalar(select(func.count()).select_from(CashEntry).where(
            CashEntry.customer_id == investor_id, CashEntry.kind == "withdrawal"))
    assert len(results) == withdrawals == 3
    assert balance == D("100.00")
    assert_conflicts(errors, "amount")


def test_eight_repayments_racing_never_take_more_than_the_payoff(mutuo_db, build):
    """Each posts 40 % of the payoff with its own reference: two fit, the rest are refused."""
    def setup(world, session):
        loan = world.loan(disbursed_on=date(2025, 1, 15))
        return loan.id, services.payoff_amount(session, loan, TODAY)

    loan_id, payoff = build(setup)
    part = (payoff * D("0.4")).quantize(D("0.01"))

    def repay(session, n, barrier):
        loan = session.get(Loan, loan_id)
        services.payoff_amount(session, loan, TODAY)  # the repayment page reads the schedule first
        barrier.wait()
        return services.post_repayment(session, loan, part, TODAY, f"BANK-{n}").id

    results, errors = race(mutuo_db, repay)
    with mutuo_db.session_factory() as session:
        paid = session.scalar(select(func.sum(Repayment.amount)).where(Repayment.loan_id == loan_id))
        loan = session.get(Loan, loan_id)
        over = [i.number for i in loan.installments
                if i.principal_paid > i.principal_due or i.interest_paid + i.interest_waived > i.interest_due]
    assert len(results) == 2 and paid == 2 * part <= payoff
    assert over == []
    assert_conflicts(errors, "amount", "loan_id")


def test_eight_disbursements_racing_make_one_loan(mutuo_db, build):
    def setup(world, session):
        with world.clock.at(TODAY):
            return world.funded(listed_on=TODAY).id

    application_id = build(setup)

    def disburse(session, n, barrier):
        application = session.get(Application, application_id)
        barrier.wait()
        return services.disburse(session, application, TODAY).id

    results, errors = race(mutuo_db, disburse)
    with mutuo_db.session_factory() as session:
        loans = session.scalar(select(func.count()).select_from(Loan).where(Loan.application_id == application_id))
    assert len(results) == loans == 1
    assert_conflicts(errors, "status")
