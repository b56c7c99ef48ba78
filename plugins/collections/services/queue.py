"""The collector's queue: my open cases by priority, and what is due today.

Priority: a promise due today first; then overdue amount × days past due,
multiplied by (1 + broken promises) — a broken promise raises a case. One
SQL expression, so the list sorts, paginates and exports in the database.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import Date, String, cast, func, literal, select
from sqlalchemy import case as sql_case

from plugins.collections.models import OPEN_STATUSES, ActionItem, Case
from plugins.lending.services.delinquency import days_between

PROMISE_FIRST = 10 ** 15  # larger than any amount × days, so promises due today sort first


def of_case(column):
    """SQL: one value of the case's loan, customer or collector, as a correlated subquery.

    Lists use these instead of joins: counting and paging a collector's cases then
    reads only collections_case (joins made PostgreSQL hash whole tables), and each
    value costs one primary-key lookup for the rows actually shown or sorted on.
    """
    table = column.table
    key = {"lending_loan": Case.loan_id, "lending_customer": Case.customer_id,
           "core_user": Case.collector_id}[table.name]
    return select(column).where(table.c.id == key).correlate(Case).scalar_subquery()


def days_past_due(dialect: str, as_of: date):
    """SQL: the case's days past due on business date ``as_of``, from the case row alone."""
    return func.coalesce(days_between(dialect, literal(as_of, Date), Case.overdue_since), 0)


def priority(dialect: str, today: date, as_of: date):
    """SQL: the queue's sort key (see the module docstring), from the case row alone."""
    promise_today = sql_case((Case.promise_due == literal(today), PROMISE_FIRST), else_=0)
    return promise_today + Case.overdue_amount * days_past_due(dialect, as_of) * (1 + Case.broken_promises)


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
