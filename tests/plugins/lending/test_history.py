"""History people can read: labels, money, rates, days, references by name with a link, a field-by-field diff;
a closed loan shows no delinquency badge."""
import re
from datetime import date
from decimal import Decimal as D

from core.testing import login
from plugins.lending.models import Loan

from .test_views import build, data  # noqa: F401  (fixtures: a disbursed loan, a repayment, applications)


def _admin(make_user, testapp):
    login(testapp, *make_user(roles=("admin",)))
    return testapp


def test_loan_history_reads_like_the_page(data, make_user, testapp, build):  # noqa: F811
    def change(world, session):
        loan = session.get(Loan, data["loan"])
        loan.annual_rate, loan.days_past_due = D("0.095"), 12
        return loan.customer.name
    name = build(change)
    app = _admin(make_user, testapp)
    history = app.get(f"/lending/loans/{data['loan']}").html.find(id="history")
    rows: dict = {}
    for tr in history.select("table.history-diff tbody tr"):  # newest first: the update, then the insert
        rows.setdefault(tr.th.text, tr)
    # labels, not column names
    assert "Annual rate" in rows and "Principal" in rows and "Borrower" in rows and "customer_id" not in history.text
    # the update: before and after, the rate as a percentage
    rate = rows["Annual rate"]
    assert [td.text for td in rate.select("td")] == ["12.00%", "9.50%"]
    # money with separators, days the user's way, moments without seconds or microseconds
    assert re.search(r"\d{1,3}(,\d{3})*\.\d\d", rows["Principal"].text)
    assert rows["Disbursed"].td.text == "Jan 15, 2025"
    assert not re.search(r"\d\d:\d\d:\d\d|\.\d{6}", history.text)
    # a reference: the borrower's name, linked to the customer's page
    link = rows["Borrower"].find("a")
    assert link.text == name and link["href"].endswith(f"/lending/customers/{data['customer']}")


def test_audit_log_shows_a_diff_with_names_not_json(data, make_user, testapp):  # noqa: F811
    app = _admin(make_user, testapp)
    page = app.get("/admin/audit", {"entity_type": "lending.loan", "entity_id": str(data["loan"])})
    cell = page.html.select_one("td.audit-changes")
    assert cell.select("table.history-diff th.diff-field") and "{" not in cell.text
    assert cell.find("a", href=re.compile(f"/lending/customers/{data['customer']}$"))
    record = page.html.find("a", href=re.compile(f"/lending/loans/{data['loan']}$"))
    assert record.text.strip() == f"Loan {data['loan']}"  # the record by its label
    raw = app.get("/admin/audit", {"entity_type": "lending.loan", "format": "csv"}).text
    assert '""principal""' in raw  # the plain CSV keeps what is stored


def test_the_names_of_references_take_one_query_per_type(data, make_user, testapp, mutuo_db):  # noqa: F811
    from sqlalchemy import event

    app = _admin(make_user, testapp)
    app.get("/admin/audit", {"per_page": "100"})
    seen: list[str] = []

    def count(conn, cursor, statement, *args):
        if "FROM lending_customer" in statement:
            seen.append(statement)
    event.listen(mutuo_db.engine, "before_cursor_execute", count)
    try:
        app.get("/admin/audit", {"per_page": "100"})
    finally:
        event.remove(mutuo_db.engine, "before_cursor_execute", count)
    assert len(seen) == 1


def test_a_closed_loan_shows_no_current_badge(data, make_user, testapp, build):  # noqa: F811
    app = _admin(make_user, testapp)
    assert app.get(f"/lending/loans/{data['loan']}").html.find(id="loan-bucket") is not None

    def close(world, session):
        loan = session.get(Loan, data["loan"])
        loan.status, loan.closed_on, loan.bucket, loan.days_past_due = "closed", date(2025, 5, 30), "current", 0
    build(close)
    page = app.get(f"/lending/loans/{data['loan']}")
    assert page.html.find(id="loan-bucket") is None and "bg-success" not in page.html.find("h1").decode()
    assert page.html.find(id="loan-status").text == "closed"


def test_history_labels_are_the_plugins_words_in_spanish(data, make_user, testapp):  # noqa: F811
    login(testapp, *make_user(roles=("admin",), locale="es"))
    history = testapp.get(f"/lending/loans/{data['loan']}").html.find(id="history")
    labels = {th.text for th in history.select("th.diff-field")}
    assert {"Prestatario", "Tasa anual", "Comisión de apertura"} <= labels
    assert "Principal" not in labels and "Borrower" not in labels
    assert "15 ene 2025" in history.text  # the day the Spanish way
