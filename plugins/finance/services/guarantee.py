"""The principal guarantee fund ("plan de garantía principal").

Contributions: at each disbursement a share of the origination fee and/or of the principal goes into
the fund (settings ``finance.guarantee_fee_share``, default 0.25, and
``finance.guarantee_principal_share``, default 0; a product's own with the product code appended,
e.g. ``finance.guarantee_fee_share.P1``), posted by the disbursement's rules.

Compensation: a loan at least ``finance.guarantee_threshold_days`` (default 90) days past due, or
written off, may be claimed: the outstanding principal (and, with ``include_interest``, the overdue
interest) capped at the fund's balance. A finance manager approves it: each investor's pro-rata share
is credited to their cash account through lending's deposit service (reference ``GF-<claim>``), and
the fund pays the client money account (``finance_guarantee_payout``).

Right of recovery: while a paid claim is not recovered, the investors' part of each later repayment
of the loan goes back to the fund (lending's withdrawal service, reference ``GF-REC-<repayment>``, and
``finance_guarantee_recovery``), up to what the fund paid.

Coverage ratio: the fund's balance ÷ the outstanding principal of active loans more than
``finance.coverage_days`` (default 90) days past due.
"""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select

from core import context
from core.audit import current_actor, record_event
from core.errors import ConflictError, UserError
from core.money import ZERO, money, split_pro_rata
from plugins.finance.i18n import _
from plugins.finance.i18n import amount as amount_text
from plugins.finance.models import GuaranteeClaim
from plugins.finance.services import journal
from plugins.lending.models import CashEntry, Holding, Installment, Loan


def _setting(session, key: str, default: str) -> Decimal:
    return Decimal(str(context.settings(session).get(key, default)))


def shares(session, loan) -> tuple[Decimal, Decimal]:
    """(share of the origination fee, share of the principal) paid into the fund for ``loan``."""
    settings = context.settings(session)
    fee_key, principal_key = "finance.guarantee_fee_share", "finance.guarantee_principal_share"
    if any(k.startswith(fee_key + ".") or k.startswith(principal_key + ".") for k in settings):
        from plugins.products.models import LoanProduct as Product
        from plugins.products.models import ProductVersion

        code = session.scalar(select(Product.code).join(ProductVersion, ProductVersion.product_id == Product.id)
                              .where(ProductVersion.id == loan.product_version_id))
        return (_setting(session, f"{fee_key}.{code}", settings.get(fee_key, "0.25")),
                _setting(session, f"{principal_key}.{code}", settings.get(principal_key, "0")))
    return _setting(session, fee_key, "0.25"), _setting(session, principal_key, "0")


def contribution(session, loan) -> Decimal:
    of_fee, of_principal = shares(session, loan)
    return money(loan.origination_fee * of_fee + loan.principal * of_principal)


def balance(session) -> Decimal:
    """What the fund holds: the credit balance of account 2300."""
    return -journal.account_balance(session, "2300")


def _left(session, loan_id: int) -> tuple[Decimal, Decimal]:
    """(principal, overdue interest) still owed on the loan."""
    interest = session.scalar(select(
        func.sum(Installment.interest_due - Installment.interest_waived - Installment.interest_paid))
        .where(Installment.loan_id == loan_id, Installment.due_date <= context.today(session)))
    total_principal = session.scalar(select(func.sum(Installment.principal_due - Installment.principal_paid))
                                     .where(Installment.loan_id == loan_id))
    return money(total_principal or 0), money(interest or 0)


def propose(session, loan: Loan, include_interest: bool = False, note: str = "") -> GuaranteeClaim:
    threshold = int(context.settings(session).get("finance.guarantee_threshold_days", 90))
    if loan.status != "written_off" and (loan.status != "active" or loan.days_past_due < threshold):
        raise ConflictError(_("Loan ${id} is not ${days} days past due nor written off; the fund does not pay yet.",
                              mapping={"id": loan.id, "days": threshold}), "loan_id")
    if session.scalar(select(GuaranteeClaim.id).where(GuaranteeClaim.loan_id == loan.id,
                                                      GuaranteeClaim.status.in_(("proposed", "paid")))):
        raise ConflictError(_("Loan ${id} already has a claim on the fund.", mapping={"id": loan.id}), "loan_id")
    principal, interest = _left(session, loan.id)
    interest = interest if include_interest else ZERO
    amount = min(principal + interest, balance(session))
    if amount <= ZERO:
        raise ConflictError(_("The fund holds nothing to pay."), "loan_id")
    claim = GuaranteeClaim(loan_id=loan.id, principal=principal, interest=interest, amount=amount,
                           status="proposed", days_past_due=loan.days_past_due, proposed_on=context.today(session),
                           note=note or "")
    session.add(claim)
    session.flush()
    return claim


def approve(session, claim: GuaranteeClaim) -> GuaranteeClaim:
    """Pay the investors their pro-rata share of the claim and the fund's side of it."""
    from plugins.lending import services as lending
    from plugins.lending.models import Customer

    if claim.status != "proposed":
        raise ConflictError(_("Claim ${id} is already decided.", mapping={"id": claim.id}), "status")
    if claim.amount > balance(session):
        raise ConflictError(_("The fund holds only ${amount}.", mapping={"amount": amount_text(balance(session))}),
                            "amount")
    holdings = session.execute(select(Holding.investor_id, Holding.amount).where(Holding.loan_id == claim.loan_id)
                               .order_by(Holding.id)).all()
    day = context.today(session)
    for (investor_id, _held), part in zip(holdings, split_pro_rata(claim.amount, [h.amount for h in holdings])):
        if part > ZERO:
            lending.deposit(session, session.get(Customer, investor_id), part, entry_date=day,
                            reference=f"GF-{claim.id}", memo=f"Guarantee fund, loan {claim.loan_id}")
    journal.post(session, "finance_guarantee_payout", "finance.guarantee_claim", claim.id, day,
                 {"amount": claim.amount}, loan_id=claim.loan_id, memo=f"Guarantee claim {claim.id}")
    claim.status, claim.decided_on, claim.decided_by = "paid", day, current_actor(session).name or ""
    session.flush()
    _claimed_loans(session).add(claim.loan_id)
    record_event(session, "guarantee_claim_paid", "finance.guarantee_claim", claim.id, {"amount": claim.amount})
    return claim


def reject(session, claim: GuaranteeClaim, note: str) -> GuaranteeClaim:
    if claim.status != "proposed":
        raise ConflictError(_("Claim ${id} is already decided.", mapping={"id": claim.id}), "status")
    if not (note or "").strip():
        raise UserError(_("Say why the claim is rejected."), "note")
    claim.status, claim.note = "rejected", note.strip()
    claim.decided_on, claim.decided_by = context.today(session), current_actor(session).name or ""
    session.flush()
    return claim


def _claimed_loans(session) -> set[int]:
    """Loans with a paid claim not fully recovered, read once per transaction (:func:`.journal.forget` drops it)."""
    cache = journal._cache(session)
    found = cache.get("finance.claimed_loans")
    if found is None:
        found = cache["finance.claimed_loans"] = set(session.scalars(select(GuaranteeClaim.loan_id).where(
            GuaranteeClaim.status == "paid", GuaranteeClaim.recovered < GuaranteeClaim.amount)))
    return found


def recover(session, repayment) -> None:
    """The fund's right of recovery on a repayment of a loan it compensated (called by the repayment hook)."""
    if repayment.loan_id not in _claimed_loans(session):  # the usual case, without a query per repayment
        return
    claim = session.scalar(select(GuaranteeClaim).where(GuaranteeClaim.loan_id == repayment.loan_id,
                                                        GuaranteeClaim.status == "paid",
                                                        GuaranteeClaim.recovered < GuaranteeClaim.amount))
    if claim is None:
        return
    from plugins.lending import services as lending
    from plugins.lending.models import Customer

    due = claim.amount - claim.recovered
    parts = session.execute(select(CashEntry.customer_id, CashEntry.amount)
                            .where(CashEntry.repayment_id == repayment.id).order_by(CashEntry.id)).all()
    total = sum((p.amount for p in parts), ZERO)
    take = min(due, total)
    if take <= ZERO:
        return
    for (investor_id, _got), part in zip(parts, split_pro_rata(take, [p.amount for p in parts])):
        if part > ZERO:
            lending.withdraw(session, session.get(Customer, investor_id), part, entry_date=repayment.paid_on,
                             reference=f"GF-REC-{repayment.id}", memo=f"Guarantee fund recovery, loan {claim.loan_id}")
    journal.post(session, "finance_guarantee_recovery", "lending.repayment", repayment.id, repayment.paid_on,
                 {"amount": take}, loan_id=claim.loan_id, memo=f"Guarantee claim {claim.id} recovery")
    claim.recovered += take
    session.flush()
    if claim.recovered >= claim.amount:
        _claimed_loans(session).discard(claim.loan_id)


def coverage(session) -> dict:
    """The fund's balance, the outstanding principal of loans past due more than N days, and their ratio."""
    days = int(context.settings(session).get("finance.coverage_days", 90))
    at_risk = session.scalar(select(func.sum(Installment.principal_due - Installment.principal_paid))
                             .join(Loan, Loan.id == Installment.loan_id)
                             .where(Loan.status == "active", Loan.days_past_due > days))
    at_risk = money(at_risk or 0)
    fund = balance(session)
    return {"fund": fund, "at_risk": at_risk, "days": days,
            "ratio": (fund / at_risk).quantize(Decimal("0.0001")) if at_risk else None}
