"""Small helpers shared by legal's services: dates, the acting user's permissions, settings."""
from __future__ import annotations

from calendar import monthrange
from datetime import date

from core import context
from core.errors import UserError
from plugins.legal.i18n import _


def add_months(start: date, months: int, anchor_day: int | None = None) -> date:
    """``start`` moved by ``months`` months on ``anchor_day`` (default ``start.day``), or the month's last day."""
    day = start.day if anchor_day is None else anchor_day
    year, month0 = divmod(start.year * 12 + start.month - 1 + months, 12)
    last = monthrange(year, month0 + 1)[1]
    return date(year, month0 + 1, min(day, last))


def can(session, user, permission: str) -> bool:
    """Whether ``user`` holds ``permission`` (through their roles), outside a request too."""
    from core.security import effective_permissions, security_registry

    return permission in effective_permissions(user, security_registry(context.registry(session)))


def require(session, user, permission: str, message) -> None:
    if user is None or not can(session, user, permission):
        raise UserError(message, "user")


def setting_int(session, name: str, default: int) -> int:
    value = context.settings(session).get(name, default)
    try:
        return int(value)
    except (TypeError, ValueError):
        raise UserError(_("The setting ${name} must be a whole number (it is '${value}').",
                          mapping={"name": name, "value": str(value)[:40]}), name) from None


def setting_days_list(session, name: str, default: str) -> list[int]:
    """A list of lead times in days, e.g. ``legal.reminder_days = 30 7 1``."""
    raw = str(context.settings(session).get(name, default))
    try:
        return sorted({int(part) for part in raw.replace(",", " ").split()}, reverse=True)
    except ValueError:
        raise UserError(_("The setting ${name} must list whole numbers of days (it is '${value}').",
                          mapping={"name": name, "value": raw[:40]}), name) from None
