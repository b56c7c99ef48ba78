"""Post-loan monitoring from lending's delinquency events and collections' high-risk reports."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from core.errors import UserError
from plugins.risk.models import Profile, Signal
from plugins.risk.services import monitoring, reviews


@pytest.fixture
def mutuo_plugins():
    return ("products", "lending", "collections", "risk")


class Levels:
    from core import hookimpl

    def __init__(self):
        self.changes = []

    @hookimpl
    def risk_level_changed(self, customer, old_level, new_level, reason):
        self.changes.append((customer.id, old_level, new_level))


def _signals(session, customer_id):
    return [s.kind for s in session.scalars(select(Signal).where(Signal.customer_id == customer_id)
                                            .order_by(Signal.id))]


def test_a_current_loan_turning_late_raises_first_late_and_a_second_one_second_loan_late(session, world):
    from plugins.lending import services as lending

    loan = world.loan(disbursed_on=date(2025, 1, 15))
    second = world.loan(disbursed_on=date(2025, 1, 20), borrower=loan.customer)
    with world.clock.at(date(2025, 2, 22)):
        lending.close_of_business(session, date(2025, 2, 21), start=date(2025, 2, 14))
    assert (loan.bucket, second.bucket) == ("1-30", "1-30")             # due 15 Feb and 20 Feb, unpaid
    assert _signals(session, loan.customer_id) == ["first_late", "first_late", "second_loan_late"]


def test_collections_high_risk_report_raises_a_signal_and_puts_the_borrower_on_watch(session, world, mutuo_db):
    from plugins.collections.models import Case
    from plugins.collections.services.escalation import report_high_risk

    levels = Levels()
    mutuo_db.pm.register(levels, name="risk-test-levels")
    try:
        world.clock.day = date(2025, 6, 1)
        loan = world.overdue_loan(10)
        case = session.scalars(select(Case).where(Case.loan_id == loan.id)).one()
        report_high_risk(session, case, "Moved abroad, phone off", None)
    finally:
        mutuo_db.pm.unregister(name="risk-test-levels")
    assert _signals(session, loan.customer_id) == ["first_late", "high_risk_report"]
    profile = session.scalar(select(Profile).where(Profile.customer_id == loan.customer_id))
    assert profile.on_watch and profile.level == "high"
    assert levels.changes == [(loan.customer_id, "low", "high")]
    # a borrower on watch: the next application is referred (the on_watch rule)
    application = world.submitted(borrower=loan.customer)
    review = reviews.review_of(session, application.id)
    assert {r["code"]: r["outcome"] for r in review.rule_results}["RF_WATCH"] == "refer"
    assert review.status == "referred"


def test_closing_a_signal_needs_the_follow_up(session, world):
    world.clock.day = date(2025, 6, 1)
    loan = world.overdue_loan(5)
    signal = session.scalars(select(Signal).where(Signal.loan_id == loan.id)).one()
    with pytest.raises(UserError):
        monitoring.close_signal(session, signal, " ")
    monitoring.close_signal(session, signal, "Called: salary late this month", watch=True)
    assert signal.status == "closed"
    assert session.scalar(select(Profile.on_watch).where(Profile.customer_id == loan.customer_id))
