"""Figures for the dashboard and reports: a few aggregate queries, no loops over loans."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import and_, func, literal, or_, select, union_all

from core.money import money
from core.web.charts import months_table
from plugins.lending.models import Application, Installment, Investment, Loan, Repayment
from plugins.lending.services.delinquency import Bucket, bucket_case, days_between

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


# -- by month, for the dashboard's time series (one query each, grouped in SQL) --------------

def money_by_month(session, months: list[date]) -> dict[str, list[tuple[date, Decimal]]]:
    """Principal disbursed and money repaid in each of ``months`` (first days): ``{"disbursed": [...],
    "repaid": [...]}``, each a list of (month, amount) for the months that had any."""
    table = months_table(months)
    disbursed = (select(literal("disbursed").label("what"), table.c.month, func.sum(Loan.principal).label("amount"))
                 .join(Loan, and_(Loan.disbursed_on >= table.c.month, Loan.disbursed_on < table.c.next))
                 .group_by(table.c.month))
    repaid = (select(literal("repaid").label("what"), table.c.month, func.sum(Repayment.amount).label("amount"))
              .join(Repayment, and_(Repayment.paid_on >= table.c.month, Repayment.paid_on < table.c.next))
              .group_by(table.c.month))
    out: dict[str, list[tuple[date, Decimal]]] = {"disbursed": [], "repaid": []}
    for what, month, amount in session.execute(union_all(disbursed, repaid)):
        out[what].append((month, money(amount or 0)))
    return out


def delinquency_by_month(session, months: list[date], today: date,
                         buckets: tuple[Bucket, ...]) -> dict[str, list[tuple[date, int]]]:
    """Loans past due at each month's end (``today`` for the current month), by bucket: ``{bucket:
    [(month, loans)]}`` for the buckets past ``current``, in their order.

    Rebuilt from the loans' history, since no snapshot is kept: a loan counts at a month's end when
    it was disbursed and not yet closed then, and an installment due before that day was still
    unpaid (``paid_on`` later or NULL); its days past due run from the oldest such due date — the
    rule of close of business (plugins.lending.services.delinquency).
    """
    table = months_table(months, today)
    oldest = (select(table.c.month, table.c.end, func.min(Installment.due_date).label("due"))
              .join(Installment, and_(Installment.due_date < table.c.end,
                                      or_(Installment.paid_on.is_(None), Installment.paid_on > table.c.end)))
              .join(Loan, Loan.id == Installment.loan_id)
              .where(Loan.disbursed_on <= table.c.end, or_(Loan.closed_on.is_(None), Loan.closed_on > table.c.end))
              .group_by(table.c.month, table.c.end, Installment.loan_id).subquery())
    dialect = session.get_bind().dialect.name
    bucketed = select(oldest.c.month, bucket_case(days_between(dialect, oldest.c.end, oldest.c.due), buckets)
                      .label("bucket")).subquery()
    rows = session.execute(select(bucketed.c.month, bucketed.c.bucket, func.count())
                           .group_by(bucketed.c.month, bucketed.c.bucket)).all()
    out: dict[str, list[tuple[date, int]]] = {b.name: [] for b in buckets[1:]}
    for month, bucket, count in rows:
        out.setdefault(bucket, []).append((month, int(count)))
    return out

