"""Builders for tests of collections and of the plugins that react to it (a public module: import it).

Cases are never inserted by hand: a loan falls overdue through lending's services
(:mod:`plugins.lending.testing`) and close of business tells collections, which opens
the case — exactly what happens in production::

    from plugins.collections.testing import overdue_case

    def test_escalation(dbsession, mutuo_db, clock):
        case = overdue_case(World(dbsession, mutuo_db.documents, clock), days_overdue=95)
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import select


def make_collector(session, username: str, stages=("early",), region: str = "", roles=("collector",)):
    """A user holding the collector role and queues for ``stages``."""
    from core.accounts import create_user
    from plugins.collections.services import set_queues

    user = create_user(session, username, "correct-horse-battery", roles=list(roles), region=region)
    set_queues(session, user, stages)
    return user


def close(session, through: date, start: date | None = None):
    """Run lending's close of business (the only way cases move)."""
    from plugins.lending import services

    return services.close_of_business(session, through, start=start)


def pay_overdue(session, loan, on: date, reference: str):
    """Pay everything overdue on ``loan`` through lending's services."""
    from plugins.lending import services

    owed = sum((i.outstanding for i in loan.installments if i.paid_on is None and i.due_date < on), 0)
    return services.post_repayment(session, loan, owed, on, reference)


def overdue_case(world, days_overdue: int, **loan_terms):
    """The open case of a fresh loan ``days_overdue`` days late (``world``: a lending ``World``)."""
    from plugins.collections.models import Case

    loan = world.overdue_loan(days_overdue, **loan_terms)
    return world.session.scalars(select(Case).where(Case.loan_id == loan.id)).one()
