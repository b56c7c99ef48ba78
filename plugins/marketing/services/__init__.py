"""Marketing's rules as plain functions over a session (views, API, jobs, demo and events call these)."""
from __future__ import annotations

from datetime import UTC, datetime, time

from core import context
from core.models.meta import utcnow


def now(session) -> datetime:
    """The moment of the business date: the wall clock today, noon of the business date in a replay or a test."""
    today = context.today(session)
    moment = utcnow()
    return moment if moment.date() == today else datetime.combine(today, time(12), tzinfo=UTC)


def setting(session, name: str, default):
    """A ``marketing.*`` setting as the type of its default."""
    raw = context.settings(session).get(f"marketing.{name}")
    return default if raw in (None, "") else type(default)(raw)


def today(session):
    return context.today(session)
