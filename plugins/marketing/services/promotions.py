"""Promotions: fee discounts with validity dates, eligibility and limits the database enforces.

* A promotion is **valid** from ``valid_from`` to ``valid_to``, both days included, on the
  disbursement date.
* A customer is **eligible** when their role fits (``any``, or borrower/investor — a customer
  who is both fits either) and, with ``verified_only``, their KYC is verified.
* Lending asks ``lending_origination_fee_discount(application, fee)`` when it disburses; the first
  valid promotion (oldest first) the borrower is eligible for and that still has room is
  **redeemed** in lending's transaction, so a disbursement that fails leaves no redemption.
* **Limits**: the n-th redemption of a promotion takes ``slot`` n, the customer's k-th takes
  ``customer_slot`` k, both unique per promotion (see ``models.Redemption``). The insert runs in a
  savepoint: when another transaction took the same slot first, PostgreSQL makes this insert wait
  for it and then refuses it (unique violation); the savepoint is rolled back, the counts read
  again, and the next slot tried while one is left. Nobody can ever hold a slot above a limit.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from core.errors import UserError
from core.money import money
from plugins.marketing.i18n import _
from plugins.marketing.models import PROMOTION_KINDS, ROLES, Promotion, Redemption

ZERO = Decimal("0.00")
ATTEMPTS = 5


def create_promotion(session, *, code: str, name: str, valid_from: date, valid_to: date, rate: Decimal | None = None,
                     amount: Decimal | None = None, kind: str = "fee_discount", role: str = "borrower",
                     verified_only: bool = True, global_limit: int | None = None,
                     per_customer_limit: int = 1) -> Promotion:
    promotion = Promotion(code="", name="", valid_from=valid_from, valid_to=valid_to)
    update_promotion(session, promotion, code=code, name=name, valid_from=valid_from, valid_to=valid_to, rate=rate,
                     amount=amount, kind=kind, role=role, verified_only=verified_only, global_limit=global_limit,
                     per_customer_limit=per_customer_limit)
    session.add(promotion)
    session.flush()
    return promotion


def update_promotion(session, promotion: Promotion, *, code: str, name: str, valid_from: date, valid_to: date,
                     rate: Decimal | None, amount: Decimal | None, kind: str, role: str, verified_only: bool,
                     global_limit: int | None, per_customer_limit: int) -> Promotion:
    code = (code or "").strip().upper()
    if not code:
        raise UserError(_("Give the promotion a code."), "code")
    taken = session.scalar(select(Promotion.id).where(Promotion.code == code, Promotion.id != promotion.id))
    if taken is not None:
        raise UserError(_("Another promotion has this code."), "code")
    if not (name or "").strip():
        raise UserError(_("Give the promotion a name."), "name")
    if kind not in PROMOTION_KINDS:
        raise UserError(_("Choose the kind of promotion."), "kind")
    if role not in ROLES:
        raise UserError(_("Choose who the promotion is for."), "role")
    if valid_to < valid_from:
        raise UserError(_("The promotion cannot end before it starts."), "valid_to")
    if (rate is None) == (amount is None):
        raise UserError(_("Give either a rate or an amount of discount, not both."), "rate")
    if rate is not None and not (Decimal(0) < rate <= Decimal(1)):
        raise UserError(_("The rate is a fraction of the fee above 0 and at most 1 (0.5 is half)."), "rate")
    if amount is not None and amount <= 0:
        raise UserError(_("The amount must be above zero."), "amount")
    if global_limit is not None and global_limit < 1:
        raise UserError(_("The limit must be at least 1 (leave it empty for no limit)."), "global_limit")
    if per_customer_limit < 1:
        raise UserError(_("Each customer must be able to use it at least once."), "per_customer_limit")
    promotion.code, promotion.name, promotion.kind, promotion.role = code, name.strip(), kind, role
    promotion.valid_from, promotion.valid_to, promotion.verified_only = valid_from, valid_to, bool(verified_only)
    promotion.rate, promotion.amount = rate, (money(amount) if amount is not None else None)
    promotion.global_limit, promotion.per_customer_limit = global_limit, per_customer_limit
    session.flush()
    return promotion


def is_valid_on(promotion: Promotion, day: date) -> bool:
    """The end date is included: a promotion valid to 31 March still applies on 31 March."""
    return promotion.valid_from <= day <= promotion.valid_to


def is_eligible(promotion: Promotion, customer) -> bool:
    if promotion.role == "borrower" and not customer.is_borrower:
        return False
    if promotion.role == "investor" and not customer.is_investor:
        return False
    return not (promotion.verified_only and customer.kyc_status != "verified")


def discount_for(promotion: Promotion, fee: Decimal) -> Decimal:
    """The discount on ``fee``: the rate's share of it, or the amount, never more than the fee."""
    off = money(fee * promotion.rate) if promotion.rate is not None else (promotion.amount or ZERO)
    return min(money(off), money(fee))


def usage(session, promotion: Promotion) -> int:
    return session.scalar(select(func.count()).select_from(Redemption)
                          .where(Redemption.promotion_id == promotion.id)) or 0


def redeem(session, promotion: Promotion, customer, application_id: int, fee: Decimal, day: date) -> Redemption | None:
    """Take the next slot of ``promotion`` for ``customer``, or ``None`` when a limit is reached.

    Safe under concurrent use: see the module docstring.
    """
    for _attempt in range(ATTEMPTS):
        used = usage(session, promotion)
        mine = session.scalar(select(func.count()).select_from(Redemption).where(
            Redemption.promotion_id == promotion.id, Redemption.customer_id == customer.id)) or 0
        if promotion.global_limit is not None and used >= promotion.global_limit:
            return None
        if mine >= promotion.per_customer_limit:
            return None
        redemption = Redemption(promotion_id=promotion.id, customer_id=customer.id, application_id=application_id,
                                slot=used + 1, customer_slot=mine + 1, fee=money(fee),
                                discount=discount_for(promotion, fee), redeemed_on=day)
        try:
            with session.begin_nested():
                session.add(redemption)
                session.flush()
        except IntegrityError:
            continue  # another transaction took that slot: count again
        return redemption
    return None


def on_disbursement(session, application, fee: Decimal, day: date) -> Decimal | None:
    """Lending's question at disbursement: the first promotion that applies is redeemed; its discount."""
    if fee <= 0:
        return None
    customer = application.customer
    candidates = session.scalars(select(Promotion).where(
        Promotion.kind == "fee_discount", Promotion.valid_from <= day, Promotion.valid_to >= day)
        .order_by(Promotion.valid_from, Promotion.id)).all()
    for promotion in candidates:
        if not is_eligible(promotion, customer):
            continue
        redemption = redeem(session, promotion, customer, application.id, fee, day)
        if redemption is not None:
            return redemption.discount
    return None


def redemption_for_loan(session, loan) -> Redemption | None:
    return session.scalar(select(Redemption).where(Redemption.application_id == loan.application_id))


def usage_by_promotion(session, start: date, end: date) -> list[tuple[str, int]]:
    """``(code, uses)`` of each promotion used between ``start`` and ``end`` (both included), most used first."""
    uses = func.count(Redemption.id)
    rows = session.execute(select(Promotion.code, uses).join(Redemption, Redemption.promotion_id == Promotion.id)
                           .where(Redemption.redeemed_on >= start, Redemption.redeemed_on <= end)
                           .group_by(Promotion.code).order_by(uses.desc(), Promotion.code)).all()
    return [(code, int(n)) for code, n in rows]
