"""Small helpers shared by lending's views: workflow buttons, form widgets, parsing."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import colander
import deform

from core.web import parsing

TEMPLATES = "plugins.lending:templates/"


def parse_date(text, field: str, default: date | None = None) -> date | None:
    """A date field (already a date from a BoundedDate node, or ISO text); blank -> ``default``."""
    if text is None or (isinstance(text, str) and not text.strip()):
        return default
    return parsing.parse_date(text, field)


def percent_to_rate(text) -> Decimal | None:
    """A rate typed as a percentage ("12.5") -> Decimal fraction (0.125); blank -> None."""
    if text is None or (isinstance(text, str) and not text.strip().rstrip("%").strip()):
        return None
    return parsing.parse_percent(text, "annual_rate")


def parse_amount(text, field: str = "amount") -> Decimal:
    """A typed amount ("1,234.50", or a Decimal from a Money node) -> Decimal, or an error on ``field``."""
    return parsing.parse_money(text, field)


def choice_widget(values, **kw):
    return deform.widget.SelectWidget(values=values, **kw)


def money_node(title: str, description: str = "", missing=colander.required):
    return colander.SchemaNode(parsing.Money(), title=title, description=description, missing=missing,
                               widget=deform.widget.TextInputWidget(attributes={"inputmode": "decimal"}))


def date_node(title: str, description: str = "", missing=colander.required):
    return colander.SchemaNode(parsing.BoundedDate(), title=title, description=description, missing=missing,
                               widget=deform.widget.TextInputWidget(attributes={"type": "date"}))
