"""Business limits: the window every amount and business date of a money operation must fall in.

The services check them (not the forms), so the web UI, the JSON API, the
CLI, jobs and other plugins all get the same refusal, on the right field,
before anything is written.

* ``lending.max_amount`` — the largest single amount any operation accepts
  (an application, a deposit, a withdrawal, an investment, a repayment, a
  promise to pay, a collections target), default ``1000000000.00``. It must
  be above zero and at most :data:`core.money.MAX_MONEY`, what a
  ``Numeric(18, 2)`` column holds, so sums of many such amounts still fit.
* Dates: a business date may not be after the business date of today
  (``context.today``, which honours replays ``as_of``) and not before the
  event it follows (a disbursement not before the application was listed —
  listing follows approval —, a repayment not before the disbursement). The
  callers name the earliest day and why.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from core import context
from core.config import ConfigError
from core.errors import UserError
from core.money import MAX_MONEY

MAX_AMOUNT = "lending.max_amount"
DEFAULT_MAX_AMOUNT = Decimal("1000000000.00")


def max_amount(values: dict) -> Decimal:
    """The setting ``lending.max_amount`` as a Decimal; ConfigError saying how to write it."""
    raw = values.get(MAX_AMOUNT)
    if raw in (None, ""):
        return DEFAULT_MAX_AMOUNT
    try:
        value = Decimal(str(raw).replace(",", "").replace("_", "").strip())
    except InvalidOperation:
        value = Decimal(-1)
    if not value.is_finite() or not Decimal(0) < value <= MAX_MONEY or value != value.quantize(Decimal("0.01")):
        raise ConfigError(f"Setting {MAX_AMOUNT} = {raw!r} must be an amount above 0 and at most "
                          f"{MAX_MONEY:,.2f} with at most two decimals, like {DEFAULT_MAX_AMOUNT}.")
    return value


def check_amount(session, value: Decimal, field: str = "amount", what: str = "An amount") -> Decimal:
    """Refuse an amount above ``lending.max_amount`` (on ``field``); return it unchanged."""
    limit = max_amount(context.settings(session))
    if value > limit:
        raise UserError(f"{what} is at most {limit:,.2f}; {value:,.2f} is more than this platform accepts. "
                        f"Check the figure, or split it.", field)
    return value


def check_date(session, day: date | None, field: str, what: str, *, earliest: date | None = None,
               earliest_why: str = "") -> date:
    """Refuse a business date after today or before ``earliest`` (on ``field``); return it.

    ``what`` names the date in the message ("The deposit date"); ``earliest_why``
    says what happened on ``earliest`` ("the loan was disbursed").
    """
    if day is None:
        raise UserError(f"Enter {what.lower()}.", field)
    if not isinstance(day, date):
        raise UserError(f"{what} must be a date like 2026-03-31.", field)
    today = context.today(session)
    if day > today:
        raise UserError(f"{what} {day} is in the future; enter it on or before today ({today}).", field)
    if earliest is not None and day < earliest:
        raise UserError(f"{what} {day} is before {earliest_why} ({earliest}); enter {earliest} or later.", field)
    return day
