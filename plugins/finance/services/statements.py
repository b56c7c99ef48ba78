"""Investor statements: a month of an investor's money, from lending's cash ledger and repayments.

Figures (all to the cent): opening balance; deposits; withdrawals; investments (money spent on
loans at disbursement); what repayments brought — principal, interest (with penalties) and the
service fee kept — and the closing balance = opening + deposits − withdrawals − investments +
principal + interest − fees. An investor's part ``p`` of a repayment's distributed amount ``d``
splits as principal = p × principal ÷ d and fees = p × service fee ÷ d (each rounded once), and
interest = p + fees − principal, so the three always add up to what the investor received.
Holdings: each active loan held, the amount invested and the principal still owed on the investor's share
today (lending keeps no history of what was owed when).

:func:`render_pdf` draws it with fpdf2 (pure Python, no system libraries); :func:`store_month`
stores every investor's PDF as a document linked to the customer (the job after a close).
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from core.money import ZERO, money
from plugins.finance.services.periods import month_end, month_start
from plugins.lending.models import CashEntry, Customer, Holding, Installment, Loan, Repayment


def investor_month(session, investor_id: int, month: date) -> dict:
    start, end = month_start(month), month_end(month)
    opening = money(session.scalar(select(func.sum(CashEntry.amount)).where(
        CashEntry.customer_id == investor_id, CashEntry.entry_date < start)) or 0)
    totals = {"deposit": ZERO, "withdrawal": ZERO, "investment": ZERO}
    principal = interest = fees = ZERO
    rows = session.execute(select(CashEntry, Repayment).outerjoin(Repayment, Repayment.id == CashEntry.repayment_id)
                           .where(CashEntry.customer_id == investor_id, CashEntry.entry_date.between(start, end))
                           .order_by(CashEntry.entry_date, CashEntry.id)).all()
    for entry, repayment in rows:
        if entry.kind == "repayment" and repayment is not None and repayment.distributed:
            p, d = entry.amount, repayment.distributed
            part_principal = money(p * repayment.principal / d)
            part_fees = money(p * repayment.service_fee / d)
            principal += part_principal
            fees += part_fees
            interest += p + part_fees - part_principal
        elif entry.kind in totals:
            totals[entry.kind] += -entry.amount if entry.kind != "deposit" else entry.amount
    closing = opening + totals["deposit"] - totals["withdrawal"] - totals["investment"] + principal + interest - fees
    left = (select(func.sum(Installment.principal_due - Installment.principal_paid))
            .where(Installment.loan_id == Loan.id).correlate(Loan).scalar_subquery())
    holdings = [(loan_id, amount, money(share * (owed or 0)), status) for loan_id, amount, share, owed, status in
                session.execute(select(Holding.loan_id, Holding.amount, Holding.share, left, Loan.status)
                                .join(Loan, Loan.id == Holding.loan_id)
                                .where(Holding.investor_id == investor_id, Loan.disbursed_on <= end)
                                .order_by(Holding.loan_id))]
    return {"investor_id": investor_id, "month": start, "opening": opening, "deposits": totals["deposit"],
            "withdrawals": totals["withdrawal"], "investments": totals["investment"], "principal": principal,
            "interest": interest, "fees": fees, "closing": closing,
            "holdings": [h for h in holdings if h[3] == "active"]}


def year_income(session, investor_id: int, year: int) -> dict:
    """Interest (with penalties) and fees of a year: the sum of its months."""
    months = [investor_month(session, investor_id, date(year, m, 1)) for m in range(1, 13)]
    interest = sum((m["interest"] for m in months), ZERO)
    fees = sum((m["fees"] for m in months), ZERO)
    return {"year": year, "interest": interest, "fees": fees, "net": interest - fees,
            "principal": sum((m["principal"] for m in months), ZERO)}


def render_pdf(statement: dict, name: str) -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 14)
    pdf.cell(0, 10, f"Statement {statement['month']:%Y-%m}: {name}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 11)
    for label, key in (("Opening balance", "opening"), ("Deposits", "deposits"), ("Withdrawals", "withdrawals"),
                       ("Investments", "investments"), ("Principal received", "principal"),
                       ("Interest received", "interest"), ("Service fees", "fees"), ("Closing balance", "closing")):
        pdf.cell(90, 7, label)
        pdf.cell(40, 7, f"{statement[key]:,.2f}", align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font("Helvetica", "B", 11)
    pdf.cell(0, 7, "Holdings", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    for loan_id, amount, owed, _status in statement["holdings"]:
        pdf.cell(60, 6, f"Loan {loan_id}")
        pdf.cell(40, 6, f"{amount:,.2f}", align="R")
        pdf.cell(40, 6, f"{owed:,.2f}", align="R", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def store_month(session, documents_path: str, month: date, limit: int | None = None) -> int:
    """Render and store the month's statement of every investor with money or holdings; returns how many."""
    import io

    from core.documents import store_from_settings, upload

    store = store_from_settings({"mutuo.documents.path": documents_path})
    investors = session.scalars(select(Customer).where(Customer.role.in_(("investor", "both")))
                                .order_by(Customer.id).limit(limit)).all()
    count = 0
    for investor in investors:
        data = investor_month(session, investor.id, month)
        if data["opening"] == data["closing"] == ZERO and not data["holdings"]:
            continue
        upload(session, store, stream=io.BytesIO(render_pdf(data, investor.name)),
               filename=f"statement-{month:%Y-%m}-{investor.id}.pdf", title=f"Statement {month:%Y-%m}",
               entity_type="lending.customer", entity_id=investor.id)
        count += 1
    return count

