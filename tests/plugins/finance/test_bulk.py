"""Set-based posting of repayments writes exactly what the hook writes."""
from __future__ import annotations

from datetime import date
from decimal import Decimal as D

from sqlalchemy import delete, select

from plugins.finance.models import Account, Entry, Line
from plugins.finance.services import bulk, journal
from plugins.lending import services as lending


def repayment_lines(session):
    return sorted(session.execute(
        select(Entry.source_id, Entry.entry_date, Entry.customer_id, Entry.loan_id, Account.code, Line.customer_id,
               Line.debit, Line.credit).join(Line, Line.entry_id == Entry.id).join(Account, Account.id == Line.account_id)
        .where(Entry.event_type == "lending_repayment_posted")).all())


def test_bulk_posting_equals_the_hook(dbsession, world, clock):
    clock.day = date(2025, 4, 20)
    loans = [world.loan(investors=n) for n in (1, 2, 3)]
    for n, loan in enumerate(loans):
        lending.post_repayment(dbsession, loan, D("500.00") + n, date(2025, 2, 15), f"A{n}")
        lending.post_repayment(dbsession, loan, D("1500.37"), date(2025, 3, 15), f"B{n}")
    by_hook = repayment_lines(dbsession)
    assert len(by_hook) > 20
    ids = dbsession.scalars(select(Entry.id).where(Entry.event_type == "lending_repayment_posted")).all()
    dbsession.execute(delete(Line).where(Line.entry_id.in_(ids)))  # Core, for the test: the ORM refuses
    dbsession.execute(delete(Entry).where(Entry.id.in_(ids)))
    assert bulk.post_unposted_repayments(dbsession) == 6
    assert repayment_lines(dbsession) == by_hook
    assert bulk.post_unposted_repayments(dbsession) == 0  # nothing twice
    assert journal.differences(dbsession) == [] and journal.trial_balance(dbsession)["difference"] == 0
