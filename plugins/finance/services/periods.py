"""Period close: a month closes after its checklist passes; nothing posts on or before the lock date.

The checklist (:func:`checklist`): the trial balance through the month's end is zero; every
customer's custodial balance in the books equals lending's; no bank statement line of the month is
left unmatched; the guarantee fund's account equals its bank account. A finance manager may close
with unreconciled lines only by saying why (``override``), which is recorded.
"""
from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select

from core import context
from core.audit import current_actor, record_event
from core.errors import ConflictError, UserError
from plugins.finance.i18n import _
from plugins.finance.i18n import day as day_text
from plugins.finance.models import Period, StatementLine
from plugins.finance.services import journal


def month_start(day: date) -> date:
    return day.replace(day=1)


def month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


@dataclass
class Check:
    name: str
    ok: bool
    detail: str = ""


def checklist(session, month: date) -> list[Check]:
    end = month_end(month)
    trial = journal.trial_balance(session, end)
    diffs = journal.differences(session)
    unmatched = session.scalar(select(func.count(StatementLine.id)).where(
        StatementLine.status == "unmatched", StatementLine.booked_on <= end)) or 0
    fund = -journal.account_balance(session, "2300", end)
    fund_bank = journal.account_balance(session, "1020", end)
    return [
        Check("trial_balance", trial["difference"] == 0, str(trial["difference"])),
        Check("books_equal_lending", not diffs, str(len(diffs))),
        Check("bank_reconciled", unmatched == 0, str(unmatched)),
        Check("guarantee_fund_reconciled", fund == fund_bank, f"{fund} / {fund_bank}"),
    ]


def next_open_month(session) -> date | None:
    locked = journal.lock_date(session)
    return (locked + timedelta(days=1)) if locked else None


def close_month(session, month: date, override: str = "") -> Period:
    """Close ``month`` (any day of it): months close in order, after the business date has passed its end."""
    month = month_start(month)
    end = month_end(month)
    locked = journal.lock_date(session)
    if locked is not None and end <= locked:
        raise ConflictError(_("The books are already closed through ${day}.", mapping={"day": day_text(locked)}),
                            "month")
    if locked is not None and month != locked + timedelta(days=1):
        raise ConflictError(_("Close the months in order: the next to close starts on ${day}.",
                              mapping={"day": day_text(locked + timedelta(days=1))}), "month")
    if end >= context.today(session):
        raise UserError(_("A month closes after its last day; ${day} has not passed yet.",
                          mapping={"day": day_text(end)}), "month")
    checks = checklist(session, month)
    failed = [c for c in checks if not c.ok]
    hard = [c for c in failed if c.name != "bank_reconciled"]
    if hard or (failed and not override.strip()):
        names = ", ".join(c.name.replace("_", " ") for c in failed)
        raise ConflictError(_("The close checklist fails (${names}); fix it first, or say why unreconciled bank "
                              "lines may wait.", mapping={"names": names}), "override")
    text = "\n".join(f"{'ok' if c.ok else 'FAILED'} {c.name} {c.detail}" for c in checks)
    if override.strip():
        text += f"\noverride: {override.strip()}"
    period = Period(month=month, closed_through=end, closed_by=current_actor(session).name or "", checklist=text)
    session.add(period)
    session.flush()
    journal.forget(session)
    record_event(session, "period_closed", "finance.period", period.id, {"month": month, "override": override})
    context.hooks(session).finance_period_closed(period=period)
    return period
