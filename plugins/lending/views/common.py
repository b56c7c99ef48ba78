"""Small helpers shared by lending's views: workflow buttons, form widgets, parsing."""
from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

import colander
import deform

from core.errors import UserError
from core.money import parse_money

TEMPLATES = "plugins.lending:templates/"


def parse_date(text, field: str, default: date | None = None) -> date | None:
    text = (text or "").strip()
    if not text:
        return default
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UserError(f"'{text}' is not a date; write it like 2026-03-31.", field) from None


def percent_to_rate(text) -> Decimal | None:
    """A rate typed as a percentage ("12.5") -> Decimal fraction (0.125); blank -> None."""
    text = str(text or "").strip().rstrip("%").strip()
    if not text:
        return None
    try:
        return Decimal(text) / 100
    except InvalidOperation:
        raise UserError(f"'{text}' is not a percentage; write 12.5 for 12.5 %.", "annual_rate") from None


def parse_amount(text, field: str = "amount") -> Decimal:
    """A typed amount ("1,234.50") -> Decimal, or a UserError on ``field`` saying how to write it."""
    try:
        return parse_money(text)
    except ValueError as exc:
        raise UserError(str(exc), field) from None


def choice_widget(values, **kw):
    return deform.widget.SelectWidget(values=values, **kw)


def money_node(title: str, description: str = "", missing=colander.required):
    return colander.SchemaNode(colander.String(), title=title, description=description, missing=missing,
                               widget=deform.widget.TextInputWidget(attributes={"inputmode": "decimal"}))


def date_node(title: str, description: str = "", missing=colander.required):
    return colander.SchemaNode(colander.String(), title=title, description=description, missing=missing,
                               widget=deform.widget.TextInputWidget(attributes={"type": "date"}))
