"""Schemathesis against finance's operations of the live OpenAPI document, over a small book:
no 5xx, every answer as documented. Bounded and derandomized (``MUTUO_SCHEMATHESIS_EXAMPLES`` for more)."""
from __future__ import annotations

from datetime import date
from decimal import Decimal as D

from core.testing import assert_api_conforms


def test_finance_api_conforms_to_its_document(mutuo_db, world, dbsession, clock, api_key_for):
    from plugins.finance.services import bank, journal
    from plugins.lending import services as lending

    clock.day = date(2025, 2, 20)
    loan = world.loan(investors=2)
    lending.post_repayment(dbsession, loan, D("300.00"), date(2025, 2, 15), "R-1")
    journal.ensure_defaults(dbsession)
    client = dbsession.scalars(__import__("sqlalchemy").select(bank.BankAccount)).first()
    bank.import_statement(dbsession, client, "s.csv", b"Date,Amount,Reference,Description,Counterparty\n"
                                                      b"2025-02-15,300.00,R-1,,\n2025-02-16,-2.00,,fee,\n")
    dbsession.commit()
    headers = api_key_for(roles=("admin",), everything=True)
    assert assert_api_conforms(mutuo_db.app, headers, prefix="/api/v1/finance", max_examples=5) == 9
