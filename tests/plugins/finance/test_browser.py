"""An accountant imports a statement, reconciles the unmatched line by creating the missing
repayment, and closes the month — in a real browser."""
from datetime import date
from decimal import Decimal as D

import pytest
from sqlalchemy import select

from core.testing import browser_login
from plugins.finance.models import Period, StatementLine
from plugins.finance.services import journal

pytestmark = pytest.mark.browser


@pytest.fixture
def a_loan(dbsession, world, make_user, clock):
    clock.day = date(2025, 2, 20)
    make_user("alice", roles=("accountant",))
    loan = world.loan(investors=2)
    # one repayment lending knows (the statement matches it), one it does not (the bank file brings it)
    from plugins.lending import services as lending

    lending.post_repayment(dbsession, loan, D("300.00"), date(2025, 1, 20), "KNOWN-1")
    loan_id = loan.id
    dbsession.commit()
    dbsession.close()
    return loan_id


def test_accountant_imports_reconciles_and_closes(a_loan, page, mutuo_db, live_server, clock):
    browser_login(page, "alice")
    page.click("nav >> text=Finance")
    page.click("nav >> text=Reconciliation")
    page.click("text=Import a statement")
    page.set_input_files("#file", files=[{"name": "january.csv", "mimeType": "text/csv", "buffer": (
        b"Date,Amount,Reference,Description,Counterparty\n"
        b"2025-01-20,300.00,KNOWN-1,installment,Borrower\n"
        b"2025-01-27,250.00,TRF-88,installment,Borrower\n")}])
    page.click("button[name=import]")
    page.wait_for_url("**/finance/reconcile**")
    assert "2 lines" in page.inner_text("main")
    rows = page.locator("#unmatched tbody tr, #unmatched tr").filter(has_text="TRF-88")
    rows.first.locator("a").click()
    page.fill("#loan_id", str(a_loan))
    page.click("button[name=create_repayment]")
    page.wait_for_selector("#status")
    assert "matched" in page.inner_text("#status")
    page.click("nav >> text=Finance")
    page.click("nav >> text=Period close")
    page.fill("#month", "2025-01-01")
    page.click("button[name=close]")
    page.wait_for_selector("#periods")
    assert "The month is closed." in page.inner_text("main")

    def facts(session):
        return ([p.closed_through for p in session.scalars(select(Period))],
                sorted(x.status for x in session.scalars(select(StatementLine))),
                journal.differences(session), journal.trial_balance(session)["difference"])

    closed, statuses, differences, difference = mutuo_db.transaction(facts)
    assert closed == [date(2025, 1, 31)] and statuses == ["matched", "matched"]
    assert differences == [] and difference == 0
