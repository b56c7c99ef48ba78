"""Disbursement and repayments: loans, schedules, holdings, distribution to investors.

Disbursement (funded → disbursed): a loan whose terms are copied from the
product version; its schedule from ``plugins.products.schedule``; the
origination fee is kept from the payout; one holding per investor in
proportion to what they put in; reservations become spent and each investor's
cash account is debited.

Repayment: allocated by :mod:`plugins.lending.services.allocation`; any
installment fee and the product's investor service fee (``service_fee_rate``
× what the repayment brings the investors — principal, interest and
penalty — rounded by ``core.money.money``) go to the platform; the rest is split between the holdings pro rata by
``core.money.split_pro_rata`` (largest remainder: the shares add up to the
cent) and credited to the investors' cash accounts.

Concurrency and limits: disbursement locks the application, a repayment (and
a write-off) locks the loan, before checking status and amounts
(:func:`core.db.lock`); a refusal because of the record's state is a
:class:`core.errors.ConflictError` (HTTP 409). A disbursement is dated
neither before the application was listed (which follows its approval) nor
after today; a repayment neither before the disbursement nor after today;
amounts are at most ``lending.max_amount`` (:mod:`.limits`).
"""
from __future__ import annotations

from collections import OrderedDict
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from core import context
from core.db import lock
from core.errors import ConflictError, UserError
from core.models.meta import utcnow
from core.money import ZERO, money, split_pro_rata
from plugins.lending.i18n import _, label
from plugins.lending.i18n import amount as amount_text
from plugins.lending.i18n import day as day_text
from plugins.lending.models import Application, Holding, Installment, Loan, Repayment
from plugins.lending.services import cash, events, limits
from plugins.lending.services.allocation import Owed, allocate, parse_order, payoff
from plugins.lending.services.applications import lock_application, require
from plugins.lending.services.delinquency import bucket_for, buckets_from_settings, days_past_due
from plugins.products import services as products
from plugins.products.schedule import add_months, build_schedule

SHARE_PLACES = Decimal("0.0000000001")


class DuplicateReference(ConflictError):
    """A repayment reference that was already posted: the repayment is refused (idempotent posting)."""

    def __init__(self, message: str, earlier: Repayment | None = None):
        super().__init__(message, "reference",
                         extra={"repayment_id": earlier.id if earlier is not None else None})
        self.earlier = earlier


# -- disbursement -----------------------------------------------------------------------

def disburse(session, application: Application, disbursed_on: date | None = None) -> Loan:
    """Turn a funded application into a loan; see the module docstring."""
    lock_application(session, application)
    require(application, "disburse")
    version = products.get_version(session, application.product_version_id)
    disbursed_on = limits.check_date(session, disbursed_on or context.today(session), "disbursed_on",
                                     _("The disbursement date"), earliest=_listed_on(session, application),
                                     earliest_why=_("the application was listed for funding"))
    vetoes = [reason for reason in context.hooks(session).lending_disbursement_veto(application=application) if reason]
    if vetoes:
        raise ConflictError(" ".join(str(reason) for reason in vetoes), "status")
    principal = application.amount
    fee = money(principal * version.origination_fee_rate)
    investments = [i for i in application.investments if i.status == "reserved"]
    invested = sum((i.amount for i in investments), ZERO)
    if invested != principal:
        raise ConflictError(_("Investments add up to ${invested}, not the ${principal} to disburse; the application "
                              "is not fully funded.", mapping={"invested": amount_text(invested),
                                                               "principal": amount_text(principal)}), "status")
    discounts = context.hooks(session).lending_origination_fee_discount(application=application, fee=fee,
                                                                         disbursed_on=disbursed_on)
    fee = max(ZERO, fee - money(sum((d for d in discounts if d and d > ZERO), ZERO)))
    schedule = build_schedule(principal, application.annual_rate, application.term_months, version.repayment_method,
                              add_months(disbursed_on, 1))
    loan = Loan(
        customer_id=application.customer_id, application_id=application.id, product_version_id=version.id,
        principal=principal, annual_rate=application.annual_rate, term_months=application.term_months,
        repayment_method=version.repayment_method, disbursed_on=disbursed_on, origination_fee=fee,
        payout=principal - fee, service_fee_rate=version.service_fee_rate,
        penalty_daily_rate=version.penalty_daily_rate, grace_days=version.grace_days,
        allocation_order=",".join(parse_order(version.allocation_order)), region=application.region,
        industry=application.industry, status="active", days_past_due=0, bucket="current",
        penalty_accrued=Decimal(0), oldest_unpaid_due=schedule[0].due_date)
    session.add(loan)
    session.flush()
    grace = timedelta(days=int(version.grace_days) + 1)
    for item in schedule:
        session.add(Installment(loan_id=loan.id, number=item.number, due_date=item.due_date,
                                penalty_from=item.due_date + grace, principal_due=item.principal,
                                interest_due=item.interest, fee_due=ZERO, penalty_accrued=Decimal(0)))
    _create_holdings(session, loan, investments, disbursed_on)
    application.status = "disbursed"
    session.flush()
    context.hooks(session).lending_loan_disbursed(loan=loan)
    events.loan_disbursed(session, loan)
    return loan


def _listed_on(session, application: Application) -> date | None:
    """The first day the application could be funded: listed (after approval), else the approval's business date."""
    if application.listed_on is not None:
        return application.listed_on
    if application.decided_at is not None:
        from zoneinfo import ZoneInfo

        zone = ZoneInfo(context.settings(session).get("mutuo.timezone") or "UTC")
        return application.decided_at.astimezone(zone).date()
    return None


def _create_holdings(session, loan: Loan, investments, disbursed_on: date) -> None:
    per_investor: OrderedDict[int, Decimal] = OrderedDict()
    for investment in sorted(investments, key=lambda i: i.id):
        per_investor[investment.investor_id] = per_investor.get(investment.investor_id, ZERO) + investment.amount
        investment.status = "spent"
        investment.settled_at = utcnow()
    for investor_id, amount in per_investor.items():
        session.add(Holding(loan_id=loan.id, investor_id=investor_id, amount=amount,
                            share=(amount / loan.principal).quantize(SHARE_PLACES)))
    cash.add_entries(session, [
        {"customer_id": investor_id, "kind": "investment", "amount": -amount, "entry_date": disbursed_on,
         "reference": f"loan-{loan.id}", "memo": f"Invested in loan {loan.id}", "loan_id": loan.id,
         "repayment_id": None, "created_at": utcnow()}
        for investor_id, amount in per_investor.items()])


# -- what is owed ---------------------------------------------------------------------------

def owed(installment: Installment) -> Owed:
    return Owed(
        number=installment.number, due_date=installment.due_date,
        principal=installment.principal_due - installment.principal_paid,
        interest=installment.interest_due - installment.interest_waived - installment.interest_paid,
        fee=installment.fee_due - installment.fee_waived - installment.fee_paid,
        penalty=max(installment.penalty_due - installment.penalty_paid, ZERO),
    )


def _last_closed(session) -> date | None:
    from plugins.lending.services.cob import last_closed

    return last_closed(session)


_UNKNOWN = object()


def payoff_amount(session, loan: Loan, on: date | None = None, *, closed=_UNKNOWN) -> Decimal:
    """What a repayment on ``on`` must be to leave nothing owed. ``closed``: the last closed business
    date when the caller already read it (the loan page shows it too), else it is read here."""
    on = on or context.today(session)
    return payoff([owed(i) for i in loan.installments if i.paid_on is None], _due_by(session, on, closed))


def _due_by(session, paid_on: date, closed=_UNKNOWN) -> date:
    if closed is _UNKNOWN:
        closed = _last_closed(session)
    return max(paid_on, closed) if closed else paid_on


def outstanding_principal(loan: Loan) -> Decimal:
    return sum((i.principal_due - i.principal_paid for i in loan.installments), ZERO)


def with_principal_left():
    """A query option filling ``Loan.principal_left`` with one correlated sum, for lists of loans
    (what :func:`outstanding_principal` adds up, without loading every installment)."""
    from sqlalchemy import func
    from sqlalchemy.orm import with_expression

    left = (select(func.sum(Installment.principal_due - Installment.principal_paid))
            .where(Installment.loan_id == Loan.id).correlate(Loan).scalar_subquery())
    return with_expression(Loan.principal_left, left)


# -- repayments -------------------------------------------------------------------------------

def _check_reference(session, reference: str) -> str:
    reference = (reference or "").strip()
    if not reference:
        raise UserError(_("Enter the payment's external reference (bank transfer id), so it is never posted twice."),
                        "reference")
    if len(reference) > 100:
        raise UserError(_("A reference has at most 100 characters."), "reference")
    earlier = session.scalars(select(Repayment).where(Repayment.reference == reference)).first()
    if earlier is not None:
        raise DuplicateReference(_("Reference ${reference} was already posted on ${day} to loan ${loan} (repayment "
                                   "${repayment}, ${amount}); nothing was posted again.",
                                   mapping={"reference": reference, "day": day_text(earlier.paid_on),
                                            "loan": earlier.loan_id, "repayment": earlier.id,
                                            "amount": amount_text(earlier.amount)}), earlier)
    return reference


def post_repayment(session, loan: Loan, amount, paid_on: date, reference: str) -> Repayment:
    """Allocate, distribute and record a repayment; refuse a reference seen before."""
    try:
        amount = money(amount)
    except (TypeError, ArithmeticError, ValueError):
        raise UserError(_("'${value}' is not an amount; write it like ${example}.",
                          mapping={"value": str(amount)[:40], "example": amount_text(Decimal("250"))}),
                        "amount") from None
    # Lock the loan first: two posts to one loan then queue, and the second sees what the first paid.
    loan = lock(session, Loan, loan.id)
    reference = _check_reference(session, reference)
    if amount <= ZERO:
        raise UserError(_("Enter an amount greater than zero."), "amount")
    limits.check_amount(session, amount, "amount", _("A repayment"))
    if loan.status != "active":
        raise ConflictError(_("Loan ${id} is ${status}; repayments are posted to active loans only.",
                              mapping={"id": loan.id, "status": label(loan.status)}), "loan_id")
    if paid_on is None:
        raise UserError(_("Enter the date the money arrived."), "paid_on")
    limits.check_date(session, paid_on, "paid_on", _("The payment date"), earliest=loan.disbursed_on,
                      earliest_why=_("the loan was disbursed"))
    open_items = [i for i in loan.installments if i.paid_on is None]
    closed_through = _last_closed(session)
    due_by = max(paid_on, closed_through) if closed_through else paid_on
    limit = payoff([owed(i) for i in open_items], due_by)
    if amount > limit:
        raise ConflictError(_("Loan ${id} can take at most ${limit} on ${day} (everything due plus the remaining "
                              "principal); post at most that.",
                              mapping={"id": loan.id, "limit": amount_text(limit), "day": day_text(paid_on)}), "amount")
    allocation = allocate([owed(i) for i in open_items], amount, due_by, loan.allocation_order)
    repayment = _record(session, loan, amount, paid_on, reference, allocation)
    by_number = {i.number: i for i in open_items}
    for paid in allocation.paid:
        _apply(by_number[paid.number], paid, paid_on)
    _distribute(session, loan, repayment)
    unpaid = [i.due_date for i in loan.installments if i.paid_on is None]
    loan.oldest_unpaid_due = min(unpaid) if unpaid else None
    closed = not unpaid
    session.flush()
    hook = context.hooks(session)
    hook.lending_repayment_posted(repayment=repayment)
    events.repayment_posted(session, repayment, loan)
    if closed:
        _close(session, loan, paid_on)
        hook.lending_loan_closed(loan=loan)
        events.loan_closed(session, loan)
    else:
        refresh_delinquency(session, loan, closed_through)
    return repayment


def _record(session, loan, amount, paid_on, reference, allocation) -> Repayment:
    interest, penalty, fee = allocation.sum("interest"), allocation.sum("penalty"), allocation.sum("fee")
    service_fee = money((amount - fee) * loan.service_fee_rate)
    repayment = Repayment(
        loan_id=loan.id, amount=amount, paid_on=paid_on, reference=reference, principal=allocation.sum("principal"),
        interest=interest, fee=fee, penalty=penalty, prepaid_principal=allocation.sum("prepaid_principal"),
        service_fee=service_fee, distributed=amount - fee - service_fee)
    session.add(repayment)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:  # the same reference posted concurrently
        raise DuplicateReference(_("Reference ${reference} was just posted by someone else; nothing was posted "
                                   "again.", mapping={"reference": reference})) from None
    return repayment


def _apply(installment: Installment, paid, paid_on: date) -> None:
    installment.principal_paid += paid.principal
    installment.interest_paid += paid.interest
    installment.fee_paid += paid.fee
    installment.penalty_paid += paid.penalty
    installment.interest_waived += paid.interest_waived
    installment.fee_waived += paid.fee_waived
    left = owed(installment)
    if left.principal == left.interest == left.fee == left.penalty == ZERO:
        installment.paid_on = paid_on


def _distribute(session, loan: Loan, repayment: Repayment) -> None:
    holdings = loan.holdings
    if not holdings or repayment.distributed <= ZERO:
        return
    shares = split_pro_rata(repayment.distributed, [h.amount for h in holdings])
    now = utcnow()
    cash.add_entries(session, [
        {"customer_id": h.investor_id, "kind": "repayment", "amount": part, "entry_date": repayment.paid_on,
         "reference": repayment.reference[:100], "memo": f"Loan {loan.id} repayment", "loan_id": loan.id,
         "repayment_id": repayment.id, "created_at": now}
        for h, part in zip(holdings, shares) if part != ZERO])


def _close(session, loan: Loan, closed_on: date) -> None:
    old = loan.bucket
    loan.status = "closed"
    loan.closed_on = closed_on
    loan.days_past_due = 0
    loan.bucket = "current"
    session.flush()
    if old != "current":
        context.hooks(session).lending_loan_delinquency_changed(loan=loan, old_bucket=old, new_bucket="current",
                                                                days_past_due=0)
        events.delinquency_changed(session, loan.id, old, "current", 0)


def refresh_delinquency(session, loan: Loan, closed: date | None = None) -> None:
    """Recompute one loan's days past due as of the last closed business date (after a repayment)."""
    closed = closed or _last_closed(session)
    if closed is None or loan.status != "active":
        return
    buckets = buckets_from_settings(context.settings(session))
    dpd = days_past_due([i.due_date for i in loan.installments if i.paid_on is None], closed)
    bucket = bucket_for(dpd, buckets)
    old = loan.bucket
    loan.days_past_due, loan.bucket = dpd, bucket
    session.flush()
    if old != bucket:
        context.hooks(session).lending_loan_delinquency_changed(loan=loan, old_bucket=old, new_bucket=bucket,
                                                                days_past_due=dpd)
        events.delinquency_changed(session, loan.id, old, bucket, dpd)


def write_off(session, loan: Loan, reason: str, on: date | None = None) -> Loan:
    """active → written_off: the loan is no longer expected to be repaid; close of business ignores it."""
    reason = (reason or "").strip()
    loan = lock(session, Loan, loan.id)
    if loan.status != "active":
        raise ConflictError(_("Only active loans can be written off; loan ${id} is ${status}.",
                              mapping={"id": loan.id, "status": label(loan.status)}), "status")
    if not reason:
        raise UserError(_("Say why the loan is written off."), "reason")
    from core.audit import record_event

    on = limits.check_date(session, on or context.today(session), "closed_on", _("The write-off date"),
                           earliest=loan.disbursed_on, earliest_why=_("the loan was disbursed"))
    loan.status = "written_off"
    loan.closed_on = on
    lost = outstanding_principal(loan)
    record_event(session, "loan_written_off", "lending.loan", loan.id,
                 {"reason": reason, "outstanding_principal": lost})
    session.flush()
    context.hooks(session).lending_loan_written_off(loan=loan, outstanding_principal=lost)
    return loan


def installment_state(installment: Installment, today: date) -> str:
    """paid | overdue | due (today) | partly paid | upcoming — for the schedule table."""
    if installment.paid_on is not None:
        return "paid"
    if installment.due_date < today:
        return "overdue"
    if installment.due_date == today:
        return "due"
    if installment.total_paid > 0:
        return "partly paid"
    return "upcoming"
