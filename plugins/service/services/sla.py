"""Service levels on the company's business calendar.

Targets are business minutes per category and priority (rows of
``service_sla_target``; :data:`DEFAULT_TARGETS` by priority where there is no
row). The first-response clock runs from the ticket's creation to the first
reply (a hotline call is answered as it is logged); the resolution clock runs
from creation to "solved", stopped while the ticket waits on the customer.
A ticket is *at risk* when less than ``service.sla_warning_percent`` (default
25) of a pending target is left, and *breached* once a deadline passed.

Settings (checked at start-up by :func:`check_settings`):
``service.business_hours`` (default ``09:00-18:00``), ``service.business_days``
(default ``mon tue wed thu fri``), the company's ``mutuo.timezone``.
"""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select

from core import context
from core.models.meta import utcnow
from plugins.service.calendar import BusinessCalendar, Pause, _aware, deadline_with_pauses, parse_hours, parse_weekdays
from plugins.service.models import Holiday, SlaTarget, Ticket

#: (first response, resolution) in business minutes, by priority, where no SlaTarget row says otherwise.
DEFAULT_TARGETS = {"urgent": (30, 240), "high": (60, 540), "normal": (240, 1620), "low": (480, 2700)}


def check_settings(settings: dict) -> None:
    """Raise ValueError with the fix if the calendar settings cannot be read."""
    parse_hours(settings.get("service.business_hours") or "09:00-18:00")
    parse_weekdays(settings.get("service.business_days") or "mon tue wed thu fri")
    try:
        ZoneInfo(settings.get("mutuo.timezone") or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"mutuo.timezone {settings.get('mutuo.timezone')!r} is not a time zone "
                         "(write e.g. Europe/Madrid)") from None
    percent = int(settings.get("service.sla_warning_percent", 25))
    if not 0 < percent < 100:
        raise ValueError("service.sla_warning_percent must be between 1 and 99")


def calendar_for(session) -> BusinessCalendar:
    """The company's calendar: settings plus the holidays stored in ``service_holiday``."""
    settings = context.settings(session)
    opens, closes = parse_hours(settings.get("service.business_hours") or "09:00-18:00")
    return BusinessCalendar(ZoneInfo(settings.get("mutuo.timezone") or "UTC"), opens, closes,
                            parse_weekdays(settings.get("service.business_days") or "mon tue wed thu fri"),
                            frozenset(session.scalars(select(Holiday.day)).all()))


def targets_for(session, category: str, priority: str) -> tuple[int, int]:
    """(first response, resolution) business minutes for a category and priority."""
    row = session.scalars(select(SlaTarget).where(SlaTarget.category == category,
                                                  SlaTarget.priority == priority)).first()
    if row is not None:
        return row.first_response_minutes, row.resolution_minutes
    return DEFAULT_TARGETS.get(priority, DEFAULT_TARGETS["normal"])


def _warning(session) -> float:
    return int(context.settings(session).get("service.sla_warning_percent", 25)) / 100


def refresh(session, ticket: Ticket, now: datetime | None = None, calendar: BusinessCalendar | None = None,
            targets: dict | None = None) -> str:
    """Recompute the ticket's deadlines and SLA state; returns the state.

    ``calendar`` and ``targets`` ({(category, priority): (first, resolution)}) let a job
    compute them once for many tickets.
    """
    now = _aware(now or utcnow())
    calendar = calendar or calendar_for(session)
    key = (ticket.category, ticket.priority)
    first, resolution = (targets or {}).get(key) or targets_for(session, *key)
    created = _aware(ticket.created_at)
    ticket.first_response_due = calendar.add(created, first * 60)
    pauses = [Pause(p.started_at, p.ended_at) for p in ticket.pauses]
    ticket.resolution_due = deadline_with_pauses(calendar, created, resolution * 60, pauses)
    ticket.sla_state = state_of(ticket, now, calendar, first, resolution, _warning(session))
    return ticket.sla_state


def state_of(ticket: Ticket, now: datetime, calendar: BusinessCalendar, first: int, resolution: int,
             warning: float) -> str:
    first_due = _aware(ticket.first_response_due)
    responded = _aware(ticket.first_response_at) if ticket.first_response_at else None
    if (responded or now) > first_due:
        return "breached"
    if ticket.status in ("solved", "closed"):
        solved = _aware(ticket.solved_at or ticket.closed_at or now)
        due = ticket.resolution_due
        return "met" if due is not None and solved <= _aware(due) else "breached"
    if ticket.resolution_due is None:
        return "paused"
    due = _aware(ticket.resolution_due)
    if now > due:
        return "breached"
    if responded is None and calendar.seconds_between(now, first_due) < warning * first * 60:
        return "at_risk"
    if ticket.status != "waiting_customer" and calendar.seconds_between(now, due) < warning * resolution * 60:
        return "at_risk"
    return "on_track"
