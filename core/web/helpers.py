"""Small formatting helpers every template gets as ``h``."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal


def money(value) -> str:
    if value is None:
        return ""
    return f"{Decimal(value):,.2f}"


def percent(rate, places: int = 2) -> str:
    if rate is None:
        return ""
    return f"{Decimal(rate) * 100:.{places}f} %"


def when(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M UTC")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def label(value) -> str:
    return str(value or "").replace("_", " ")
