"""Finance's pages through the authorization matrix, and an accountant's month end through the web:
import a statement, reconcile the unmatched line by creating the missing repayment, close the month."""
from __future__ import annotations

from datetime import date
from decimal import Decimal as D

from sqlalchemy import select

from core.testing import csrf_token
from plugins.finance.models import Period, StatementLine
from plugins.finance.services import journal

PAGES = ("/finance/journal", "/finance/trial-balance", "/finance/accounts", "/finance/rules", "/finance/periods",
         "/finance/statements", "/finance/reconcile", "/finance/statements/import", "/finance/reports",
         "/finance/guarantee", "/finance/investor-statement")


def test_pages_need_finance_permissions(logged_in):
    app = logged_in(permissions=("core.dashboard.view",))
    for path in PAGES:
        app.get(path, status=403)


def test_a_finance_manager_sees_every_page(login_as):
    app = login_as("finance_manager")
    for path in PAGES:
        assert app.get(path).status_int == 200, path


def test_an_accountant_may_not_reverse_entries_nor_pay_the_fund(login_as):
    app = login_as("accountant")
    app.get("/finance/accounts/new", status=403)
    app.get("/finance/rules/1", status=403)
    app.post("/finance/entries/1/reverse", {"csrf_token": csrf_token(app)}, status=403)
    app.post("/finance/guarantee", {"csrf_token": csrf_token(app), "loan_id": "1"}, status=403)
    app.post("/finance/guarantee/claims/1", {"csrf_token": csrf_token(app), "decision": "approve"}, status=403)


def test_csv_exports(login_as):
    app = login_as("finance_manager")
    assert "1010" in app.get("/finance/trial-balance?format=csv").text
    assert app.get("/finance/journal?format=csv").content_type == "text/csv"


def test_month_end_through_the_pages(login_as, mutuo_db, world, dbsession, clock):
    clock.day = date(2025, 2, 20)
    loan = world.loan(investors=2)
    dbsession.commit()
    loan_id = loan.id
    app = login_as("finance_manager")
    form = app.get("/finance/statements/import").forms["import-form"]
    form["file"] = ("feb.csv", b"Date,Amount,Reference,Description,Counterparty\n"
                               b"2025-01-20,888.85,BANK-REF-9,installment,Borrower\n")
    page = form.submit("import").follow()
    assert "BANK-REF-9" in page.text
    line_id = mutuo_db.transaction(lambda s: s.scalars(select(StatementLine.id)).one())
    line_page = app.get(f"/finance/lines/{line_id}")
    repay = line_page.forms["repayment-form"]
    repay["loan_id"] = str(loan_id)
    repay.submit("create_repayment").follow()
    assert mutuo_db.transaction(lambda s: s.get(StatementLine, line_id).status) == "matched"
    # the repayment's date is after the disbursement: January closes with every check green
    clock.day = date(2025, 2, 20)
    close = app.get("/finance/periods").forms["close-form"]
    close["month"] = "2025-01-01"
    close.submit("close").follow()
    assert mutuo_db.transaction(lambda s: s.scalars(select(Period.closed_through)).all()) == [date(2025, 1, 31)]
    assert mutuo_db.transaction(lambda s: journal.differences(s)) == []
    tb = app.get("/finance/trial-balance")
    assert "books-agree" in tb.text
    assert D(0) == mutuo_db.transaction(lambda s: journal.trial_balance(s)["difference"])


def test_reports_and_an_investor_statement_with_csv_and_pdf(login_as, world, dbsession, clock):
    clock.day = date(2025, 2, 20)
    loan = world.loan(investors=2)
    investor = loan.holdings[0].investor_id
    dbsession.commit()
    app = login_as("finance_manager")
    page = app.get("/finance/reports")
    assert "balance-sheet" in page.text and "fees-by-product" in page.text
    assert "4000" in app.get("/finance/reports?format=csv&report=income_statement").text
    assert app.get("/finance/reports?format=csv&report=fees_by_product").text.count("\n") == 2  # header + product
    statement = app.get(f"/finance/investor-statement?investor={investor}&month=2025-01-01")
    assert "95,000.00" in statement.text
    assert "closing,95000.00" in app.get(f"/finance/investor-statement?investor={investor}&month=2025-01-01"
                                         "&format=csv").text.replace("\r", "")
    assert app.get(f"/finance/investor-statement?investor={investor}&month=2025-01-01&format=pdf").body[:4] == b"%PDF"


def test_the_customer_page_panel_and_the_global_search(login_as, world, dbsession, clock):
    from plugins.finance.services import bank

    clock.day = date(2025, 2, 20)
    investor = world.investor(cash=D("1234.00"))
    journal.ensure_defaults(dbsession)
    client = dbsession.scalars(select(bank.BankAccount)).first()
    bank.import_statement(dbsession, client, "s.csv", b"Date,Amount,Reference,Description,Counterparty\n"
                                                      b"2025-01-01,9.00,XREF-42,,\n")
    investor_id = investor.id
    dbsession.commit()
    app = login_as("finance_manager")
    page = app.get(f"/lending/customers/{investor_id}")
    assert "Balance in the books" in page.text and "1,234.00" in page.text
    found = app.get("/search", {"q": "XREF-42"})
    assert "Statement line" in found.text


def test_a_finance_manager_edits_the_chart_and_a_rule(login_as, mutuo_db):
    from plugins.finance.models import Account, PostingRule

    app = login_as("finance_manager")
    form = app.get("/finance/accounts/new").forms["deform"]
    form["code"], form["name"], form["kind"] = "5300", "Software", "expense"
    form.submit("save").follow()
    assert mutuo_db.transaction(lambda s: s.scalars(select(Account.name).where(Account.code == "5300")).one()) == \
        "Software"
    again = app.get("/finance/accounts/new").forms["deform"]
    again["code"], again["name"], again["kind"] = "5300", "Twice", "expense"
    assert "exists already" in again.submit("save", status=400).text
    rule_id = mutuo_db.transaction(lambda s: s.scalars(select(PostingRule.id).where(
        PostingRule.event_type == "finance_bank_fee", PostingRule.side == "debit")).one())
    edit = app.get(f"/finance/rules/{rule_id}").forms["deform"]
    edit["account_code"] = "5300"
    edit.submit("save").follow()
    assert mutuo_db.transaction(lambda s: s.get(PostingRule, rule_id).account_code) == "5300"


def test_the_dashboard_widget(login_as, world, dbsession, clock):
    clock.day = date(2025, 1, 20)
    world.loan(investors=1)  # 200.00 origination fee in January
    dbsession.commit()
    page = login_as("finance_manager").get("/")
    assert "Fee income by month" in page.text and "Unreconciled bank lines" in page.text
    assert "200.00" in page.text


def test_the_csv_columns_are_saved_per_bank(login_as, mutuo_db):
    from plugins.finance.models import BankAccount

    app = login_as("accountant")
    link = app.get("/finance/statements/import").html.select("#banks a")[1]["href"]
    form = app.get(link).forms["deform"]
    form["csv_mapping"] = "date=Day\namount=Sum"
    form.submit("save").follow()
    bank_id = int(link.rstrip("/").split("/")[-1])
    assert mutuo_db.transaction(lambda s: s.get(BankAccount, bank_id).csv_mapping) == "date=Day\namount=Sum"
    form = app.get(link).forms["deform"]
    form["csv_mapping"] = "when=Day"
    assert "key=value" in form.submit("save", status=400).text


def test_an_entry_page_and_its_reversal(login_as, world, dbsession, mutuo_db, clock):
    from plugins.finance.models import Entry

    clock.day = date(2025, 2, 20)
    investor = world.investor(cash=D("40.00"))
    entry_id = dbsession.scalars(select(Entry.id).where(Entry.customer_id == investor.id)).one()
    dbsession.commit()
    app = login_as("finance_manager")
    page = app.get(f"/finance/entries/{entry_id}")
    assert "lending.cash_entry" in page.text and "40.00" in page.text
    form = page.forms["reverse-form"]
    form["memo"] = "typed twice"
    reversal = form.submit("reverse").follow()
    assert "Reverses" in reversal.text and "reverse-form" not in reversal.text
    assert mutuo_db.transaction(lambda s: journal.custodial_balances(s)[investor.id]) == D("0.00")
