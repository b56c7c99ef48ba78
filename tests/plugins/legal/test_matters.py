"""Matters from collections' escalations, deadlines by jurisdiction, recoveries that reach the loan; limitation;
opinions."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from sqlalchemy import select

from core.errors import ConflictError, UserError
from plugins.collections.testing import overdue_case
from plugins.legal.models import Matter, MatterEvent
from plugins.legal.services import daily, limitation, matters, opinions

TODAY = date(2025, 9, 1)


def _escalated(session, world, clock, user):
    from plugins.collections.services import escalate

    lawyer = user("lawyer1", "lawyer", email="l1@example.com")
    with clock.at(TODAY):
        case = overdue_case(world, days_overdue=95)
        escalate(session, case, "No contact for a month")
    return case, lawyer


def test_an_escalated_case_opens_a_matter_with_the_claim_of_the_loan(session, world, clock, user):
    case, lawyer = _escalated(session, world, clock, user)
    matter = session.scalars(select(Matter).where(Matter.collections_case_id == case.id)).one()
    loan = case.loan
    assert (matter.status, matter.loan_id, matter.customer_id, matter.lawyer_id) == \
        ("preparing", loan.id, loan.customer_id, lawyer.id)
    unpaid = [i for i in loan.installments if i.paid_on is None]
    assert matter.claim_principal == sum(i.principal_due - i.principal_paid for i in unpaid)
    due = [i for i in unpaid if i.due_date < TODAY]
    assert len(due) >= 3 and matter.claim_interest == sum(i.interest_due - i.interest_paid for i in due)
    assert matter.claim_penalties > 0 and matter.opened_on == TODAY
    assert matters.on_case_escalated(session, case) is None  # once per case


def test_a_recovery_reaches_the_loan_through_lending(session, world, clock, user):
    from plugins.lending.models import Repayment

    case, _lawyer = _escalated(session, world, clock, user)
    matter = session.scalars(select(Matter).where(Matter.collections_case_id == case.id)).one()
    loan = case.loan
    owed_before = sum(i.outstanding for i in loan.installments if i.paid_on is None)
    with clock.at(TODAY):
        recovery = matters.record_recovery(session, matter, D("1500.00"), TODAY)
    repayment = session.get(Repayment, recovery.repayment_id)
    assert repayment.loan_id == loan.id and repayment.reference == f"LEGAL-{matter.id}-1"
    assert repayment.amount == D("1500.00") == matter.recovered
    assert sum(i.outstanding for i in loan.installments if i.paid_on is None) == owed_before - D("1500.00")
    from plugins.collections.models import Recovery

    credited = session.scalars(select(Recovery).where(Recovery.repayment_id == repayment.id)).one()
    assert credited.case_id == case.id  # collections' numbers stay right too


def test_status_moves_forward_and_a_judgment_puts_deadlines_on_the_calendar(session, world, clock, user, mutuo_db):
    mutuo_db.settings["legal.jurisdiction.es.appeal_days"] = "20"
    try:
        case, _lawyer = _escalated(session, world, clock, user)
        matter = session.scalars(select(Matter).where(Matter.collections_case_id == case.id)).one()
        court = matters.create_body(session, "Juzgado de Primera Instancia 3 de Madrid", "court", "es")
        with pytest.raises(UserError):
            matters.move(session, matter, "filed", on=TODAY)  # no court, no case number
        matters.move(session, matter, "filed", body_id=court.id, case_number="123/2025", on=TODAY)
        with pytest.raises(ConflictError):
            matters.move(session, matter, "preparing", on=TODAY)
        matters.add_event(session, matter, "hearing", TODAY + timedelta(days=30), "First hearing")
        matters.move(session, matter, "judgment", awarded=D("9000.00"), outcome="Claim upheld",
                     on=date(2025, 11, 3))
    finally:
        del mutuo_db.settings["legal.jurisdiction.es.appeal_days"]
    deadlines = {e.kind: e.due_on for e in session.scalars(select(MatterEvent).where(MatterEvent.matter_id == matter.id))}
    assert deadlines["appeal_deadline"] == date(2025, 11, 23)  # the jurisdiction's 20 days
    assert deadlines["enforcement_deadline"] == date(2025, 11, 3) + timedelta(days=730)  # the default
    assert daily.run(session, date(2025, 11, 16)).calendar == 1  # the appeal deadline, 7 days ahead
    matters.move(session, matter, "closed", on=date(2025, 12, 1))  # the judgment's outcome stands
    assert matter.status == "closed" and matter.closed_on == date(2025, 12, 1)


def test_limitation_dates_per_installment_and_the_expiring_report(session, world, clock, user, mutuo_db):
    mutuo_db.settings["legal.limitation_days"] = "120"
    try:
        with clock.at(TODAY):
            loan = world.overdue_loan(100)
        overdue = sorted(i.due_date for i in loan.installments if i.paid_on is None and i.due_date < TODAY)
        assert limitation.barred_on(session, overdue[0]) == overdue[0] + timedelta(days=120)
        claims = limitation.expiring(session, TODAY, within_days=30)
        assert [c.due_date for c in claims] == [d for d in overdue if d + timedelta(days=120) <= TODAY + timedelta(days=30)]
        assert claims and claims[0].barred_on == claims[0].due_date + timedelta(days=120)
        matters.open_matter(session, title="Suit", loan=loan, today=TODAY)
        assert limitation.expiring(session, TODAY, within_days=30) == []  # filed: no longer listed
    finally:
        del mutuo_db.settings["legal.limitation_days"]


def test_opinions_are_assigned_to_a_lawyer_and_answered_from_their_queue(session, user, clock):
    asker, lawyer, other = user("risk1", "staff"), user("lawyer1", "lawyer"), user("lawyer2", "lawyer")
    with clock.at(TODAY):
        opinion = opinions.request_opinion(session, subject="Can we charge this fee?", question="Fee X on loans",
                                           requested_by_id=asker.id, department="risk", due_on=TODAY)
        with pytest.raises(UserError):
            opinions.assign(session, opinion, asker)  # not a lawyer
        opinions.assign(session, opinion, lawyer)
        assert opinions.queue(session, lawyer.id) == [opinion] and opinions.queue(session, other.id) == []
        with pytest.raises(ConflictError):
            opinions.answer(session, opinion, other, "No")
        opinions.answer(session, opinion, lawyer, "Yes, if disclosed in the agreement.")
    assert opinion.status == "answered" and opinions.queue(session, lawyer.id) == []
