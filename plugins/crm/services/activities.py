"""Calls, meetings and visits: planned, then done (actual time, outcome, next step) or cancelled.

An activity is overdue when it is still planned and its day is before the
business date (:func:`core.context.today`).
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import and_

from core import context
from core.errors import ConflictError, UserError
from plugins.crm.i18n import _
from plugins.crm.models import ACTIVITY_KINDS, Account, Activity, Opportunity


def plan(session, kind: str, subject: str, planned_on: date, owner_id: int | None, *,
         account: Account | None = None, opportunity: Opportunity | None = None, planned_minutes: int = 30,
         place: str = "") -> Activity:
    if kind not in ACTIVITY_KINDS:
        raise UserError(_("Choose call, meeting or visit."), "kind")
    subject = (subject or "").strip()
    if not subject:
        raise UserError(_("Say what the activity is about."), "subject")
    if not isinstance(planned_on, date):
        raise UserError(_("Give the planned date."), "planned_on")
    if planned_minutes is None or int(planned_minutes) <= 0:
        raise UserError(_("The planned duration is at least one minute."), "planned_minutes")
    if opportunity is not None and account is None:
        account = opportunity.account
    activity = Activity(kind=kind, subject=subject, planned_on=planned_on, owner_id=owner_id, account=account,
                        opportunity=opportunity, planned_minutes=int(planned_minutes), place=place or "")
    session.add(activity)
    session.flush()
    return activity


def complete(session, activity: Activity, actual_minutes: int, outcome: str, next_step: str = "",
             done_on: date | None = None) -> Activity:
    if activity.status != "planned":
        raise ConflictError(_("This activity is already ${status}.", mapping={"status": activity.status}), "status")
    if not (outcome or "").strip():
        raise UserError(_("Write the outcome."), "outcome")
    if actual_minutes is None or int(actual_minutes) <= 0:
        raise UserError(_("The actual duration is at least one minute."), "actual_minutes")
    activity.status, activity.actual_minutes = "done", int(actual_minutes)
    activity.outcome, activity.next_step = outcome.strip(), (next_step or "").strip()
    activity.done_on = done_on or context.today(session)
    session.flush()
    return activity


def cancel(session, activity: Activity) -> Activity:
    if activity.status != "planned":
        raise ConflictError(_("This activity is already ${status}.", mapping={"status": activity.status}), "status")
    activity.status = "cancelled"
    session.flush()
    return activity


def overdue_condition(today: date):
    return and_(Activity.status == "planned", Activity.planned_on < today)


def is_overdue(activity: Activity, today: date) -> bool:
    return activity.status == "planned" and activity.planned_on < today
