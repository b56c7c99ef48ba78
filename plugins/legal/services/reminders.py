"""Reminders to legal's people: one row per record, deadline and lead time, e-mailed through core's messages.

Lead times are ``legal.reminder_days`` (default ``30 7 1``). On a given day
only the tightest lead time already reached is sent, so a contract created
five days before its deadline gets the 1-day reminder later, not three
reminders at once; each (record, kind, deadline, lead) is sent once even
if the job runs twice.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from core import messages
from core.formatting import current
from core.models.user import User
from plugins.legal.models import Reminder
from plugins.legal.services.common import setting_days_list


def lead_times(session) -> list[int]:
    return setting_days_list(session, "legal.reminder_days", "30 7 1")


def due_lead(leads: list[int], deadline: date, today: date) -> int | None:
    """The tightest lead time reached on ``today`` for ``deadline``, or None (not yet, or already past)."""
    if today > deadline:
        return None
    reached = [lead for lead in leads if (deadline - today).days <= lead]
    return min(reached) if reached else None


def remind(session, *, entity_type: str, entity_id: int, kind: str, deadline: date, today: date, user_id,
           text, leads: list[int]) -> Reminder | None:
    lead = due_lead(leads, deadline, today)
    if lead is None:
        return None
    exists = session.scalar(select(Reminder.id).where(
        Reminder.entity_type == entity_type, Reminder.entity_id == entity_id, Reminder.kind == kind,
        Reminder.deadline == deadline, Reminder.days_before == lead))
    if exists:
        return None
    body = current().translate(text)
    reminder = Reminder(entity_type=entity_type, entity_id=entity_id, kind=kind, deadline=deadline,
                        days_before=lead, user_id=user_id, sent_on=today, text=body)
    user = session.get(User, user_id) if user_id else None
    if user is not None and user.email:
        message = messages.compose(session, sender="legal", channel="email", address=user.email,
                                   subject=body[:200], body=body, entity_type=entity_type, entity_id=entity_id,
                                   sender_ref=f"reminder:{kind}:{deadline.isoformat()}:{lead}")
        reminder.message_id = message.id
    session.add(reminder)
    session.flush()
    return reminder
