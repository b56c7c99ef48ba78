"""Figures for the dashboard and reports: a few aggregate queries, no loops over loans."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import func, select

from core.money import money
from plugins.lending.models import Application, Installment, Investment, Loan

PIPELINE = ("submitted", "approved", "listed", "funded")


def outstanding_principal(session) -> Decimal:
    total = session.scalar(select(func.sum(Installment.principal_due - Installment.principal_paid))
                           .join(Loan, Loan.id == Installment.loan_id).where(Loan.status == "active"))
    return money(total or 0)


def disbursed_between(session, start: date, end: date) -> tuple[int, Decimal]:
    count, total = session.execute(select(func.count(Loan.id), func.sum(Loan.principal))
                                   .where(Loan.disbursed_on >= start, Loan.disbursed_on <= end)).one()
    return int(count or 0), money(total or 0)


def by_bucket(session, bucket_names: list[str]) -> list[tuple[str, int, Decimal]]:
    """(bucket, active loans, principal outstanding) for every bucket, in the buckets' order."""
    outstanding = (select(Installment.loan_id, func.sum(Installment.principal_due - Installment.principal_paid)
                          .label("left")).group_by(Installment.loan_id).subquery())
    rows = session.execute(select(Loan.bucket, func.count(Loan.id), func.sum(outstanding.c.left))
                           .join(outstanding, outstanding.c.loan_id == Loan.id)
                           .where(Loan.status == "active").group_by(Loan.bucket)).all()
    found = {bucket: (int(count), money(left or 0)) for bucket, count, left in rows}
    names = list(bucket_names) + [b for b in found if b not in bucket_names]
    return [(name, *found.get(name, (0, money(0)))) for name in names]


def pipeline(session) -> list[tuple[str, int, Decimal, Decimal]]:
    """(status, applications, amount asked, amount invested) for the open part of the funnel."""
    invested = (select(Investment.application_id, func.sum(Investment.amount).label("amount"))
                .where(Investment.status.in_(("reserved", "spent"))).group_by(Investment.application_id).subquery())
    rows = session.execute(select(Application.status, func.count(Application.id), func.sum(Application.amount),
                                  func.sum(invested.c.amount))
                           .outerjoin(invested, invested.c.application_id == Application.id)
                           .where(Application.status.in_(PIPELINE)).group_by(Application.status)).all()
    found = {status: (int(n), money(asked or 0), money(got or 0)) for status, n, asked, got in rows}
    return [(status, *found.get(status, (0, money(0), money(0)))) for status in PIPELINE]


def collections_report(session, by: str) -> list[tuple[str, int, Decimal]]:
    """Active overdue loans and their principal outstanding grouped by ``region``, ``industry`` or ``product``."""
    column = {"region": Loan.region, "industry": Loan.industry, "product": Loan.product_version_id}[by]
    outstanding = (select(Installment.loan_id, func.sum(Installment.principal_due - Installment.principal_paid)
                          .label("left")).group_by(Installment.loan_id).subquery())
    rows = session.execute(select(column, func.count(Loan.id), func.sum(outstanding.c.left))
                           .join(outstanding, outstanding.c.loan_id == Loan.id)
                           .where(Loan.status == "active", Loan.days_past_due > 0).group_by(column)
                           .order_by(column)).all()
    return [(str(key), int(n), money(left or 0)) for key, n, left in rows]
