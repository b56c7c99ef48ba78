"""How a repayment is allocated to a loan's installments: pure functions, no database.

The rule (also in docs/plugins/lending.md):

1. **Regular part.** The installments that are due on the payment date
   (``due_date <= paid_on``, or on the last closed business date when the
   payment is back-dated; an installment carrying a penalty is always due) —
   or, when none is due, the *next* installment (paying it a few days early
   is normal, not a prepayment) — are paid oldest first; inside each
   installment the parts are paid in the product's allocation order
   (default ``penalty, fee, interest, principal``).
2. **Overpayment.** What is left prepays *principal only*, starting with the
   last installment and moving backwards (the term shortens; the next
   installments keep their amounts). When prepayment repays an installment's
   whole principal, that installment's still-unpaid interest and fee are
   waived: they were the price of money the borrower has returned early.
3. **Payoff.** The most a repayment may be is the regular part in full plus
   the principal of every later installment (:func:`payoff`). More is refused.

Nothing is ever allocated beyond what an installment owes (a Hypothesis test
checks it).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from core.money import ZERO

PARTS = ("penalty", "fee", "interest", "principal")
DEFAULT_ORDER = PARTS


@dataclass
class Owed:
    """What one installment still owes, part by part."""

    number: int
    due_date: date
    principal: Decimal = ZERO
    interest: Decimal = ZERO
    fee: Decimal = ZERO
    penalty: Decimal = ZERO

    @property
    def total(self) -> Decimal:
        return self.principal + self.interest + self.fee + self.penalty


@dataclass
class Paid:
    """What a repayment pays (and waives) on one installment."""

    number: int
    principal: Decimal = ZERO
    interest: Decimal = ZERO
    fee: Decimal = ZERO
    penalty: Decimal = ZERO
    prepaid_principal: Decimal = ZERO  # the part of ``principal`` that is prepayment
    interest_waived: Decimal = ZERO
    fee_waived: Decimal = ZERO

    @property
    def total(self) -> Decimal:
        return self.principal + self.interest + self.fee + self.penalty


@dataclass
class Allocation:
    paid: list[Paid] = field(default_factory=list)

    def sum(self, part: str) -> Decimal:
        return sum((getattr(p, part) for p in self.paid), ZERO)

    @property
    def total(self) -> Decimal:
        return sum((p.total for p in self.paid), ZERO)


def parse_order(text: str | tuple | list | None) -> tuple[str, ...]:
    """``"penalty,fee,interest,principal"`` -> a tuple naming each part exactly once."""
    if not text:
        return DEFAULT_ORDER
    parts = tuple(p.strip() for p in (text.split(",") if isinstance(text, str) else text) if p.strip())
    if sorted(parts) != sorted(PARTS):
        raise ValueError(f"allocation order must name {', '.join(PARTS)} once each, not {', '.join(parts)}")
    return parts


def regular_and_later(owed: list[Owed], due_by: date) -> tuple[list[Owed], list[Owed]]:
    """Split unpaid installments into the regular part (what is due, else the next one) and the later ones.

    Due means ``due_date <= due_by`` or already carrying a penalty.
    """
    open_items = sorted((o for o in owed if o.total > 0), key=lambda o: (o.due_date, o.number))
    due = [o for o in open_items if o.due_date <= due_by or o.penalty > 0]
    later = [o for o in open_items if not (o.due_date <= due_by or o.penalty > 0)]
    if not due and later:
        due.append(later.pop(0))
    return due, later


def payoff(owed: list[Owed], due_by: date) -> Decimal:
    """The most a repayment may be: it leaves nothing owed."""
    regular, later = regular_and_later(owed, due_by)
    return sum((o.total for o in regular), ZERO) + sum((o.principal for o in later), ZERO)


def allocate(owed: list[Owed], amount: Decimal, due_by: date, order=DEFAULT_ORDER) -> Allocation:
    """Allocate ``amount`` (at most :func:`payoff`) over ``owed``; see the module docstring.

    ``due_by`` is the payment date, or the last closed business date when
    that is later (a back-dated payment still pays what is overdue today first).
    """
    order = parse_order(order)
    if amount < 0:
        raise ValueError("amount must not be negative")
    if amount > payoff(owed, due_by):
        raise ValueError("amount exceeds the payoff amount")
    regular, later = regular_and_later(owed, due_by)
    left = amount
    result: dict[int, Paid] = {}
    for item in regular:
        paid = result.setdefault(item.number, Paid(item.number))
        for part in order:
            take = min(left, getattr(item, part))
            if take > 0:
                setattr(paid, part, getattr(paid, part) + take)
                left -= take
        if left == 0:
            break
    for item in reversed(later):
        if left == 0:
            break
        take = min(left, item.principal)
        if take <= 0:
            continue
        paid = result.setdefault(item.number, Paid(item.number))
        paid.principal += take
        paid.prepaid_principal += take
        left -= take
        if take == item.principal:  # principal fully returned early: waive the rest of its price
            paid.interest_waived = item.interest
            paid.fee_waived = item.fee
    return Allocation(sorted((p for p in result.values() if p.total or p.interest_waived or p.fee_waived),
                             key=lambda p: p.number))
