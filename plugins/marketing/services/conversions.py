"""Conversions (lending facts) and their credits under every attribution model.

A conversion is written once per customer and kind (a unique constraint):
``verified`` (lending_customer_verified), ``funded`` (the borrower's first
loan disbursed: lending_loan_disbursed, when the money really goes out) and
``first_investment`` (the investor's first lending_investment_reserved).

Its value is the money the models share out: a funded loan's **margin**
(interest and fees of its schedule, including the origination fee, less its
expected loss: the ``marketing_expected_loss`` hook, which risk may answer,
else ``marketing.expected_loss_rate`` × principal, default 0.03), a first
investment's amount, and nothing for a verification.

Each conversion is attributed at once under the six models to the customer's
touchpoints inside the lookback window; ``marketing_conversion_attributed``
fires after the credits are written.
"""
from __future__ import annotations

from datetime import UTC, datetime, time
from decimal import Decimal

from sqlalchemy import delete, func, insert, select

from core import context
from core.money import ZERO, money
from plugins.lending.models import Customer, Investment, Loan
from plugins.marketing.models import MODELS, Campaign, Channel, Conversion, Credit, Touchpoint
from plugins.marketing.services import attribution, now, setting


def loan_margin(session, loan: Loan) -> Decimal:
    interest = sum((i.interest_due + i.fee_due for i in loan.installments), ZERO)
    rates = [r for r in context.hooks(session).marketing_expected_loss(loan=loan) if r is not None]
    loss_rate = Decimal(str(rates[0])) if rates else Decimal(setting(session, "expected_loss_rate", "0.03"))
    return money(interest + loan.origination_fee - loan.principal * loss_rate)


def _record(session, customer_id: int, kind: str, at: datetime, value: Decimal, reference: str) -> Conversion | None:
    if session.scalar(select(Conversion.id).where(Conversion.customer_id == customer_id, Conversion.kind == kind)):
        return None
    conversion = Conversion(customer_id=customer_id, kind=kind, occurred_at=at, value=money(value),
                            reference=reference)
    session.add(conversion)
    session.flush()
    attribute(session, conversion, fresh=True)
    context.hooks(session).marketing_conversion_attributed(conversion=conversion)
    return conversion


def attribute(session, conversion: Conversion, fresh: bool = False) -> int:
    """Write the conversion's credits under every model (replacing any unless ``fresh``); returns the touches."""
    lookback = setting(session, "lookback_days", 30)
    half_life = setting(session, "half_life_days", 7.0)
    rows = session.execute(
        select(Touchpoint.id, Touchpoint.campaign_id, Touchpoint.touched_at, Channel.kind)
        .join(Campaign, Campaign.id == Touchpoint.campaign_id).join(Channel, Channel.id == Campaign.channel_id)
        .where(Touchpoint.customer_id == conversion.customer_id, Touchpoint.touched_at <= conversion.occurred_at)
        .order_by(Touchpoint.touched_at, Touchpoint.id)).all()
    at = conversion.occurred_at
    rows = [rows[i] for i in attribution.in_window([r.touched_at for r in rows], at, lookback)]
    if not fresh:
        session.execute(delete(Credit).where(Credit.conversion_id == conversion.id))
    conversion.touches = len(rows)
    if not rows:
        session.flush()
        return 0
    times, direct = [r.touched_at for r in rows], [r.kind == "direct" for r in rows]
    credits = []
    for model in MODELS:
        for row, (share, amount) in zip(rows, attribution.attribute(model, times, direct, at, conversion.value,
                                                                    half_life), strict=True):
            if share or amount:
                credits.append({"conversion_id": conversion.id, "touchpoint_id": row.id,
                                "campaign_id": row.campaign_id, "model": model, "share": share, "amount": amount})
    session.execute(insert(Credit), credits)
    session.flush()
    return len(rows)


def _moment(session, day) -> datetime:
    """A conversion on a business date (a replay's or a test's) happens at the end of that day, after its clicks."""
    current = now(session)
    return current if current.date() == day else datetime.combine(day, time(23, 59), tzinfo=UTC)


def on_customer_verified(session, customer: Customer) -> Conversion | None:
    return _record(session, customer.id, "verified", now(session), ZERO, f"customer {customer.id}")


def on_loan_disbursed(session, loan: Loan) -> Conversion | None:
    first = session.scalar(select(func.min(Loan.id)).where(Loan.customer_id == loan.customer_id))
    if first != loan.id:
        return None
    return _record(session, loan.customer_id, "funded", _moment(session, loan.disbursed_on), loan_margin(session, loan),
                   f"loan {loan.id}")


def on_investment_reserved(session, investment: Investment) -> Conversion | None:
    return _record(session, investment.investor_id, "first_investment", now(session), investment.amount,
                   f"investment {investment.id}")
