"""The collector's queue: my open cases by priority, and what is due today.

Priority: a promise due today first; then overdue amount × days past due,
multiplied by (1 + broken promises) — a broken promise raises a case. One
SQL expression, so the list sorts, paginates and exports in the database.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import String, case as sql_case, cast, func, literal, select

from plugins.collections.models import OPEN_STATUSES, ActionItem, Case
from plugins.lending.models import Loan

PROMISE_FIRST = 10 ** 15  # larger than any amount × days, so promises due today sort first


def priority(today: date):
    """SQL: the queue's sort key (see the module docstring); needs Case joined to Loan."""
    promise_today = sql_case((Case.promise_due == literal(today), PROMISE_FIRST), else_=0)
    return promise_today + Case.overdue_amount * Loan.days_past_due * (1 + Case.broken_promises)


def next_item():
    """SQL: the earliest due action item of a case, as 'channel due-date' (correlated, for list rows)."""
    return (select(ActionItem.channel + literal(" · ") + cast(ActionItem.due_on, String))
            .where(ActionItem.case_id == Case.id, ActionItem.status == "due")
            .order_by(ActionItem.due_on, ActionItem.id).limit(1).correlate(Case).scalar_subquery())


def today_counts(session, collector_id: int, today: date) -> dict:
    """What a collector faces today: open cases, promises due today, items due, broken promises, overdue."""
    mine = (Case.collector_id == collector_id, Case.status.in_(OPEN_STATUSES))
    n, owed, promises, broken = session.execute(select(
        func.count(Case.id), func.sum(Case.overdue_amount),
        func.sum(sql_case((Case.promise_due == today, 1), else_=0)),
        func.sum(sql_case((Case.broken_promises > 0, 1), else_=0))).where(*mine)).one()
    items = session.scalar(select(func.count(ActionItem.id)).join(Case, Case.id == ActionItem.case_id)
                           .where(*mine, ActionItem.status == "due"))
    return {"cases": int(n or 0), "overdue": owed or 0, "promises_today": int(promises or 0),
            "broken": int(broken or 0), "items_due": int(items or 0)}
