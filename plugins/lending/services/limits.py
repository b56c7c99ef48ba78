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
from plugins.lending.i18n import _, amount, day, text

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


def check_amount(session, value: Decimal, field: str = "amount", what=None) -> Decimal:
    """Refuse an amount above ``lending.max_amount`` (on ``field``); return it unchanged.

    ``what`` names the amount at the start of the message (``_("A repayment")``, translated
    where it is shown; plain text is shown as it is); default "An amount".
    """
    limit = max_amount(context.settings(session))
    if value > limit:
        raise UserError(_("${what} is at most ${limit}; ${value} is more than this platform accepts. "
                          "Check the figure, or split it.",
                          mapping={"what": text(what if what is not None else _("An amount")),
                                   "limit": amount(limit), "value": amount(value)}), field)
    return value


def check_date(session, value: date | None, field: str, what, *, earliest: date | None = None,
               earliest_why="") -> date:
    """Refuse a business date after today or before ``earliest`` (on ``field``); return it.

    ``what`` names the date in the message (``_("The deposit date")``); ``earliest_why``
    says what happened on ``earliest`` (``_("the loan was disbursed")``). Translation strings
    are shown in the user's language; plain text as it is.
    """
    name = text(what)
    if value is None:
        raise UserError(_("Enter ${what}.", mapping={"what": name[:1].lower() + name[1:]}), field)
    if not isinstance(value, date):
        raise UserError(_("${what} must be a date like ${example}.",
                          mapping={"what": name, "example": day(date(2026, 3, 31))}), field)
    today = context.today(session)
    if value > today:
        raise UserError(_("${what} ${day} is in the future; enter it on or before today (${today}).",
                          mapping={"what": name, "day": day(value), "today": day(today)}), field)
    if earliest is not None and value < earliest:
        raise UserError(_("${what} ${day} is before ${why} (${earliest}); enter ${earliest} or later.",
                          mapping={"what": name, "day": day(value), "why": text(earliest_why),
                                   "earliest": day(earliest)}), field)
    return value
