"""Partner commissions: accrued on funding, clawed back when the borrower misses the first installment.

Rate: the partner's tier for the month's funded volume brought by that partner
(this funding included) — the tier with the highest ``min_volume`` reached —
else the account's ``commission_rate``. Amount = funded principal × rate, to
the cent (half-even). One accrual per application (a unique key).

Clawback: lending reports a loan leaving ``current`` while its installment 1
is unpaid (``lending_loan_delinquency_changed``): the borrower missed the
first installment, and the partner gives the whole accrual back, booked as a
negative entry on that day — once (unique key), even if the loan later cures.
A monthly statement sums a partner's entries booked in the month.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select

from core import context
from core.errors import UserError
from core.money import ZERO, money
from plugins.crm.i18n import _
from plugins.crm.models import Account, Commission, CommissionTier, Opportunity


def month_bounds(day: date) -> tuple[date, date]:
    start = day.replace(day=1)
    end = date(start.year + (start.month == 12), start.month % 12 + 1, 1)
    return start, end


def set_tier(session, partner: Account, min_volume, rate) -> CommissionTier:
    from plugins.crm.services.pipeline import _probability

    if partner.kind != "partner":
        raise UserError(_("Commission rules are for partner accounts."), "partner_id")
    value = _probability(rate, "rate")
    if value is None:
        raise UserError(_("Write the rate as a percentage."), "rate")
    floor = money(min_volume or 0)
    tier = session.scalars(select(CommissionTier).where(CommissionTier.partner_id == partner.id,
                                                        CommissionTier.min_volume == floor)).first()
    if tier is None:
        tier = CommissionTier(partner_id=partner.id, min_volume=floor, rate=value)
        session.add(tier)
    tier.rate = value
    session.flush()
    return tier


def rate_for(session, partner: Account, month_volume: Decimal) -> Decimal:
    tier = session.scalars(select(CommissionTier).where(CommissionTier.partner_id == partner.id,
                                                        CommissionTier.min_volume <= month_volume)
                           .order_by(CommissionTier.min_volume.desc()).limit(1)).first()
    return tier.rate if tier is not None else partner.commission_rate


def accrue(session, opportunity: Opportunity, application) -> Commission | None:
    partner = opportunity.partner
    booked = context.today(session)
    start, end = month_bounds(booked)
    before = session.scalar(select(func.coalesce(func.sum(Commission.base), 0))
                            .where(Commission.partner_id == partner.id, Commission.kind == "accrual",
                                   Commission.booked_on >= start, Commission.booked_on < end))
    rate = rate_for(session, partner, Decimal(before) + application.amount)
    if not rate:
        return None
    entry = Commission(partner_id=partner.id, opportunity_id=opportunity.id, application_id=application.id,
                       kind="accrual", base=application.amount, rate=rate,
                       amount=money(application.amount * rate), booked_on=booked)
    session.add(entry)
    session.flush()
    return entry


def first_installment_missed(loan, old_bucket: str, new_bucket: str) -> bool:
    if old_bucket != "current" or new_bucket == "current":
        return False
    first = next((i for i in loan.installments if i.number == 1), None)
    return first is not None and first.paid_on is None


def on_delinquency_changed(session, loan, old_bucket: str, new_bucket: str) -> Commission | None:
    if not first_installment_missed(loan, old_bucket, new_bucket):
        return None
    entries = session.scalars(select(Commission).where(Commission.application_id == loan.application_id)).all()
    accrual = next((e for e in entries if e.kind == "accrual"), None)
    if accrual is None or any(e.kind == "clawback" for e in entries):
        return None
    clawback = Commission(partner_id=accrual.partner_id, opportunity_id=accrual.opportunity_id,
                          application_id=accrual.application_id, kind="clawback", base=accrual.base,
                          rate=accrual.rate, amount=-accrual.amount, booked_on=context.today(session))
    session.add(clawback)
    session.flush()
    return clawback


@dataclass
class StatementLine:
    partner_id: int
    partner: str
    accrued: Decimal
    clawed_back: Decimal
    funded: Decimal

    @property
    def payable(self) -> Decimal:
        return self.accrued + self.clawed_back


def statement(session, month: date, partner_id: int | None = None) -> list[StatementLine]:
    """Each partner's entries booked in ``month``: accrued, clawed back (negative), payable."""
    start, end = month_bounds(month)
    stmt = (select(Commission.partner_id, Account.name, Commission.kind, func.sum(Commission.amount),
                   func.sum(Commission.base))
            .join(Account, Account.id == Commission.partner_id)
            .where(Commission.booked_on >= start, Commission.booked_on < end)
            .group_by(Commission.partner_id, Account.name, Commission.kind))
    if partner_id is not None:
        stmt = stmt.where(Commission.partner_id == partner_id)
    lines: dict[int, StatementLine] = {}
    for pid, name, kind, amount, base in session.execute(stmt):
        line = lines.setdefault(pid, StatementLine(pid, name, ZERO, ZERO, ZERO))
        if kind == "accrual":
            line.accrued, line.funded = money(amount), money(base)
        else:
            line.clawed_back = money(amount)
    return sorted(lines.values(), key=lambda line: line.partner)
