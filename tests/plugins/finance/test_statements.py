"""An investor's monthly statement against a hand-computed example, its PDF stored as a document."""
from __future__ import annotations

from datetime import date
from decimal import Decimal as D

from sqlalchemy import select

from plugins.finance.services import statements
from plugins.lending import services as lending


def test_a_month_computed_by_hand(dbsession, world, clock):
    # 100,000 deposited on 2025-01-01; 5,000 (half of a 10,000 loan) invested on 2025-01-15
    loan = world.loan(investors=2)
    clock.day = date(2025, 3, 1)
    repayment = lending.post_repayment(dbsession, loan, D("888.85"), date(2025, 2, 15), "R-1")
    # the repayment: 788.85 principal + 100.00 interest; service fee 1% of 888.85 = 8.89; 879.96 distributed
    assert (repayment.principal, repayment.interest, repayment.service_fee, repayment.distributed) == (
        D("788.85"), D("100.00"), D("8.89"), D("879.96"))
    investor = loan.holdings[0].investor_id
    january = statements.investor_month(dbsession, investor, date(2025, 1, 1))
    assert (january["opening"], january["deposits"], january["investments"], january["closing"]) == (
        D("0.00"), D("100000.00"), D("5000.00"), D("95000.00"))
    february = statements.investor_month(dbsession, investor, date(2025, 2, 1))
    # half of 879.96 = 439.98; principal 439.98 × 788.85 / 879.96 = 394.42; fees 439.98 × 8.89 / 879.96 = 4.445
    # -> 4.44 (half to even); interest 439.98 + 4.44 - 394.42 = 50.00
    assert (february["opening"], february["principal"], february["fees"], february["interest"],
            february["closing"]) == (D("95000.00"), D("394.42"), D("4.44"), D("50.00"), D("95439.98"))
    assert february["closing"] == lending.balance(dbsession, investor)
    assert february["holdings"] == [(loan.id, D("5000.00"), D("4605.58"), "active")]  # half of 9,211.15 left
    year = statements.year_income(dbsession, investor, 2025)
    assert (year["interest"], year["fees"], year["net"]) == (D("50.00"), D("4.44"), D("45.56"))


def test_statements_are_stored_as_pdf_documents(dbsession, world, mutuo_db):
    from core.models.document import Document, DocumentLink

    loan = world.loan(investors=2)
    assert statements.store_month(dbsession, mutuo_db.documents, date(2025, 1, 1)) == 2
    linked = dbsession.execute(select(Document.title, DocumentLink.entity_id).join(
        DocumentLink, DocumentLink.document_id == Document.id).where(DocumentLink.entity_type == "lending.customer",
                                                                      Document.title == "Statement 2025-01")).all()
    assert sorted(int(e) for _t, e in linked) == sorted(h.investor_id for h in loan.holdings)
    pdf = statements.render_pdf(statements.investor_month(dbsession, loan.holdings[0].investor_id,
                                                          date(2025, 1, 1)), "Customer")
    assert pdf.startswith(b"%PDF")
