"""The repayment schedule engine: pure functions over Decimal, no database.

Rules (also in docs/plugins/products.md):

* The monthly rate is the annual rate / 12, taken exactly: a period's interest
  is ``remaining × annual ÷ 12`` rounded once to the cent, so a true half cent
  (1.80 × 10 % ÷ 12 = 0.015) is rounded by the rule, not tipped by a
  28-digit approximation of 0.1 / 12.
* One rounding rule, half-even to cents unless the caller passes another
  ``decimal`` rounding mode; the level amount (annuity payment, principal
  part) is rounded by it too.
* The last installment absorbs the rounding residue: principal parts sum
  exactly to the loan amount and no part is negative.
* Installment k falls due ``k - 1`` months after the first due date, on the
  first due date's day of the month or the month's last day when shorter
  (Jan 31 → Feb 28/29 → Mar 31).
* ``bullet`` pays everything in one installment at maturity (the date of
  period ``term_months``), with simple interest for the whole term.

Speed matters (bench/schedules.py): the loops keep Decimal operations to the
few the rules need; due dates are cached per (first date, term) and the rate
terms per (rate, term), as loans share them; installments are built without
the frozen dataclass ``__init__`` detour.
"""
from __future__ import annotations

from calendar import monthrange
from dataclasses import dataclass
from datetime import date
from decimal import (
    ROUND_CEILING,
    ROUND_DOWN,
    ROUND_FLOOR,
    ROUND_HALF_DOWN,
    ROUND_HALF_EVEN,
    ROUND_HALF_UP,
    ROUND_UP,
    Context,
    Decimal,
    DivisionByZero,
    InvalidOperation,
    Overflow,
    getcontext,
    localcontext,
    setcontext,
)
from functools import lru_cache

from core.money import CENT
from plugins.products.i18n import _

METHODS = ("equal_installment", "equal_principal", "interest_first", "bullet")
# Titles are translation strings (plain English text where used as text); pages show them translated.
METHOD_TITLES = {
    "equal_installment": _("Equal installments (annuity)"),
    "equal_principal": _("Equal principal"),
    "interest_first": _("Interest first, principal at the end"),
    "bullet": _("Bullet (everything at maturity)"),
}
METHOD_SHORT = {"equal_installment": _("Annuity"), "equal_principal": _("Equal principal"),
                "interest_first": _("Interest first"), "bullet": _("Bullet")}
#: The codes' own words, for ``h.label(loan.repayment_method, "products")`` elsewhere.
METHOD_WORDS = (_("equal installment"), _("equal principal"), _("interest first"), _("bullet"))
MAX_TERM_MONTHS = 600  # 50 years: beyond that a term is a typing mistake
# Monotone modes only: a rounded payment must never fall below the rounded interest.
ROUNDINGS = (ROUND_HALF_EVEN, ROUND_HALF_UP, ROUND_HALF_DOWN, ROUND_UP, ROUND_DOWN, ROUND_CEILING, ROUND_FLOOR)

ZERO = Decimal("0.00")
ONE = Decimal(1)
TWELVE = Decimal(12)
# Our own context: a caller's low precision or trapped Inexact must not change figures.
# It is shared by threads; only its flags change, and nothing reads them.
_CONTEXT = Context(prec=34, rounding=ROUND_HALF_EVEN, traps=[InvalidOperation, DivisionByZero, Overflow])


@dataclass(slots=True, frozen=True)
class Installment:
    number: int
    due_date: date
    principal: Decimal
    interest: Decimal
    total: Decimal
    remaining: Decimal  # principal still owed after this installment


class _NewInstallment:
    """Builds an :class:`Installment` at a third of the cost of its frozen ``__init__``
    (which routes every field through ``object.__setattr__``): the same slots are
    filled on this mutable twin, then the object becomes an Installment by class
    assignment, which Python allows between classes with identical slots."""

    __slots__ = Installment.__slots__

    def __init__(self, number, due_date, principal, interest, total, remaining):
        self.number = number
        self.due_date = due_date
        self.principal = principal
        self.interest = interest
        self.total = total
        self.remaining = remaining
        self.__class__ = Installment


_make = _NewInstallment


# -- dates ---------------------------------------------------------------------

def add_months(start: date, months: int, anchor_day: int | None = None) -> date:
    """``start`` moved by ``months`` calendar months, on ``anchor_day`` (default
    ``start.day``) or the month's last day when the month is shorter."""
    day = start.day if anchor_day is None else anchor_day
    if not 1 <= day <= 31:
        raise ValueError("anchor_day must be between 1 and 31")
    year, month0 = divmod(start.year * 12 + start.month - 1 + months, 12)
    last = monthrange(year, month0 + 1)[1]
    return date(year, month0 + 1, day if day <= last else last)


@lru_cache(maxsize=4096)
def due_dates(first_due_date: date, count: int) -> tuple[date, ...]:
    """The monthly due dates of ``count`` installments (cached: loans share them)."""
    day = first_due_date.day
    index = first_due_date.year * 12 + first_due_date.month - 1
    out = []
    for k in range(count):
        year, month0 = divmod(index + k, 12)
        if day > 28:
            last = monthrange(year, month0 + 1)[1]
            out.append(date(year, month0 + 1, day if day <= last else last))
        else:
            out.append(date(year, month0 + 1, day))
    return tuple(out)


# -- the schedule --------------------------------------------------------------

def build_schedule(principal: Decimal, annual_rate: Decimal, term_months: int, method: str,
                   first_due_date: date, *, rounding: str = ROUND_HALF_EVEN) -> list[Installment]:
    """The installments repaying ``principal`` over ``term_months`` by ``method``."""
    # Our own context, swapped in and out (a third of the cost of ``localcontext``, which copies it).
    saved = getcontext()
    setcontext(_CONTEXT)
    try:
        _check(principal, annual_rate, term_months, method, first_due_date, rounding)
        return _BUILDERS[method](principal + ZERO, annual_rate, term_months, first_due_date, rounding)
    finally:
        setcontext(saved)


def _check(principal, annual_rate, term_months, method, first_due_date, rounding) -> None:
    if method not in _BUILDERS:
        raise ValueError(f"unknown repayment method {method!r}; choose one of {', '.join(METHODS)}")
    if type(principal) is not Decimal or type(annual_rate) is not Decimal:
        raise TypeError("principal and annual_rate must be Decimal (never float)")
    if not (principal.is_finite() and principal > 0 and principal.quantize(CENT) == principal):
        raise ValueError("principal must be a positive amount in whole cents")
    if not (annual_rate.is_finite() and annual_rate >= 0):
        raise ValueError("annual_rate must be zero or more")
    if type(term_months) is not int or not 1 <= term_months <= MAX_TERM_MONTHS:
        raise ValueError(f"term_months must be a whole number from 1 to {MAX_TERM_MONTHS}")
    if not isinstance(first_due_date, date):
        raise TypeError("first_due_date must be a date")
    if rounding is not ROUND_HALF_EVEN and rounding not in ROUNDINGS:
        raise ValueError(f"rounding must be one of {', '.join(ROUNDINGS)}")


@lru_cache(maxsize=1024)
def _rate_terms(annual: Decimal, n: int) -> tuple[Decimal, Decimal, Decimal | None]:
    """(multiplier, divisor, annuity factor) of a rate and term; cached, as a loan book uses few pairs.

    The interest of a period is ``remaining × multiplier / divisor``: annual / 12 and 1 when
    that terminates (0.12 -> 0.01: one multiplication), else the annual rate and 12, so the
    result is exact before its one rounding. The factor gives the annuity payment
    ``amount × i(1+i)^n / ((1+i)^n − 1)``; None for a rate too small to grow in 34 digits.
    """
    monthly = annual / TWELVE
    multiplier, divisor = (monthly, ONE) if monthly * TWELVE == annual else (annual, TWELVE)
    growth = (1 + monthly) ** n
    factor = monthly * growth / (growth - 1) if growth != 1 else None
    return multiplier, divisor, factor


def _equal_installment(principal, annual, n, first, rounding):
    dates = due_dates(first, n)
    rate, divisor, factor = _rate_terms(annual, n)
    if factor is not None:
        payment = (principal * factor).quantize(CENT, rounding)
    else:
        payment = (principal / n).quantize(CENT, rounding)
    while True:
        out = []
        append = out.append
        remaining = principal
        if divisor is ONE:
            for number, due in zip(range(1, n), dates):
                interest = (remaining * rate).quantize(CENT, rounding)
                part = payment - interest
                remaining -= part
                append(_make(number, due, part, interest, payment, remaining))
        else:
            for number, due in zip(range(1, n), dates):
                interest = (remaining * rate / divisor).quantize(CENT, rounding)
                part = payment - interest
                remaining -= part
                append(_make(number, due, part, interest, payment, remaining))
        if remaining >= 0:
            break
        # Rounding the payment up by up to half a cent a month can overpay a small loan
        # over a long term: then a cent less is paid each month. The payment never goes
        # below the first month's interest, so no principal part turns negative.
        floor = (principal * rate / divisor).quantize(CENT, rounding)
        if payment <= floor:
            break
        payment -= CENT
    interest = (remaining * rate / divisor).quantize(CENT, rounding)
    append(_make(n, dates[n - 1], remaining, interest, remaining + interest, ZERO))
    return out


def _equal_principal(principal, annual, n, first, rounding):
    dates = due_dates(first, n)
    rate, divisor, _factor = _rate_terms(annual, n)
    part = (principal / n).quantize(CENT, rounding)
    if part * (n - 1) > principal:  # rounded up too far for the last part to stay positive
        part = (principal / n).quantize(CENT, ROUND_DOWN)
    out = []
    append = out.append
    remaining = principal
    for number, due in zip(range(1, n), dates):
        interest = (remaining * rate / divisor).quantize(CENT, rounding)
        remaining -= part
        append(_make(number, due, part, interest, part + interest, remaining))
    interest = (remaining * rate / divisor).quantize(CENT, rounding)
    append(_make(n, dates[n - 1], remaining, interest, remaining + interest, ZERO))
    return out


def _interest_first(principal, annual, n, first, rounding):
    dates = due_dates(first, n)
    rate, divisor, _factor = _rate_terms(annual, 1)
    interest = (principal * rate / divisor).quantize(CENT, rounding)
    out = [_make(number, due, ZERO, interest, interest, principal) for number, due in zip(range(1, n), dates)]
    out.append(_make(n, dates[n - 1], principal, interest, principal + interest, ZERO))
    return out


def _bullet(principal, annual, n, first, rounding):
    interest = (principal * annual * n / TWELVE).quantize(CENT, rounding)
    return [_make(1, due_dates(first, n)[n - 1], principal, interest, principal + interest, ZERO)]


_BUILDERS = {
    "equal_installment": _equal_installment,
    "equal_principal": _equal_principal,
    "interest_first": _interest_first,
    "bullet": _bullet,
}


# -- summaries -------------------------------------------------------------------

def schedule_totals(installments) -> dict[str, Decimal]:
    """Sums of principal, interest and total over ``installments``."""
    principal = interest = ZERO
    for item in installments:
        principal += item.principal
        interest += item.interest
    return {"principal": principal, "interest": interest, "total": principal + interest}


def apr(principal: Decimal, installments, *, fee: Decimal = ZERO, disbursed_on: date | None = None,
        places: int = 6) -> Decimal:
    """Annual percentage rate: 12 × the monthly rate at which the installments'
    present value equals what the borrower receives (``principal - fee``).

    Times are whole months from ``disbursed_on`` (default: one month before the
    first installment, the regular first period; pass it for a bullet loan,
    whose only installment falls at maturity). This is the actuarial method
    with a monthly unit period; the result is a fraction (0.12 = 12 %).
    """
    if not installments:
        raise ValueError("no installments")
    start = disbursed_on or add_months(installments[0].due_date, -1)
    flows = [(_months_between(start, item.due_date), item.total) for item in installments]
    if any(t < 1 for t, _ in flows):
        raise ValueError("every installment must fall due at least a month after disbursement")
    with localcontext(_CONTEXT):
        received = principal - fee
        if received <= 0:
            raise ValueError("the fee must be less than the principal")
        monthly = _irr(received, flows)
        return (monthly * TWELVE).quantize(Decimal(1).scaleb(-places), ROUND_HALF_EVEN)


def _months_between(start: date, end: date) -> int:
    return (end.year - start.year) * 12 + end.month - start.month


def _irr(received: Decimal, flows: list[tuple[int, Decimal]]) -> Decimal:
    """Newton's method from 0: the present value is convex and falling in the
    rate, so from the left the iterates climb straight to the root."""
    rate = Decimal(0)
    tolerance = Decimal("1e-15")
    for _step in range(100):
        discount = 1 / (1 + rate)
        value = -received
        slope = Decimal(0)
        for months, amount in flows:
            present = amount * discount ** months
            value += present
            slope -= months * present * discount
        if slope == 0:
            break
        step = value / slope
        rate -= step
        if rate <= -1:  # a step past -100 %: go halfway instead
            rate = (rate + step - 1) / 2
        if abs(step) < tolerance:
            break
    return rate
