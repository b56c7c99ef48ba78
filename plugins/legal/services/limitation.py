"""Limitation periods: when each unpaid installment's claim becomes time-barred.

The period runs from each installment's due date (``legal.limitation_days``,
default 1095 = three years; by jurisdiction the company sets it). A loan with
an open matter is not listed: filing interrupts the period.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select

from plugins.legal.models import Matter
from plugins.legal.services.common import setting_int
from plugins.legal.services.matters import OPEN_STATUSES
from plugins.lending.models import Installment, Loan


@dataclass
class Claim:
    loan_id: int
    customer: str
    installment: int
    due_date: date
    barred_on: date
    outstanding: Decimal


def period(session) -> timedelta:
    return timedelta(days=setting_int(session, "legal.limitation_days", 1095))


def barred_on(session, due_date: date) -> date:
    return due_date + period(session)


def expiring(session, today: date, within_days: int = 90) -> list[Claim]:
    """Unpaid, overdue installments of loans not in litigation whose claim is barred within ``within_days``."""
    days = period(session)
    in_litigation = select(Matter.loan_id).where(Matter.status.in_(OPEN_STATUSES), Matter.loan_id.is_not(None))
    rows = session.execute(
        select(Installment, Loan).join(Loan, Installment.loan_id == Loan.id)
        .where(Installment.paid_on.is_(None), Installment.due_date < today,
               Installment.due_date >= today - days, Installment.due_date <= today - days + timedelta(days=within_days),
               Loan.status.in_(("active", "written_off")), Loan.id.not_in(in_litigation))
        .order_by(Installment.due_date, Loan.id)).all()
    return [Claim(loan.id, loan.customer.name, inst.number, inst.due_date, inst.due_date + days, inst.outstanding)
            for inst, loan in rows]
