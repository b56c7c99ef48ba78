"""Small helpers shared by lending's views: workflow buttons, form widgets, parsing in the user's language."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import colander
import deform

from core.web import parsing

TEMPLATES = "plugins.lending:templates/"


def _locale(locale: str | None) -> str:
    """``locale`` if given (the JSON API reads the source locale), else the language being served."""
    return locale or parsing.current_locale()


def parse_date(text, field: str, default: date | None = None, *, locale: str | None = None) -> date | None:
    """A date field (already a date from a BoundedDate node, ISO text, or typed the user's way:
    ``31/03/2026`` in Spanish); blank -> ``default``."""
    if text is None or (isinstance(text, str) and not text.strip()):
        return default
    return parsing.parse_date(text, field, locale=_locale(locale))


def percent_to_rate(text, *, locale: str | None = None) -> Decimal | None:
    """A rate typed as a percentage ("12.5", "12,5" in Spanish) -> Decimal fraction (0.125); blank -> None."""
    if text is None or (isinstance(text, str) and not text.strip().rstrip("%").strip()):
        return None
    return parsing.parse_percent(text, "annual_rate", locale=_locale(locale))


def rate_as_typed(rate: Decimal) -> str:
    """A stored rate (0.125) as its percentage is typed in the user's language ("12.5", "12,5")."""
    from babel.numbers import format_decimal

    return format_decimal((rate * 100).normalize(), format="0.######", locale=parsing.current_locale())


def parse_amount(text, field: str = "amount", *, locale: str | None = None) -> Decimal:
    """A typed amount ("1,234.50"; "1.234,50" in Spanish; or a Decimal from a Money node) -> Decimal,
    or an error on ``field``."""
    return parsing.parse_money(text, field, locale=_locale(locale))


def choice_widget(values, **kw):
    return deform.widget.SelectWidget(values=values, **kw)


def money_node(title, description="", missing=colander.required):
    return colander.SchemaNode(parsing.Money(), title=title, description=description, missing=missing,
                               widget=deform.widget.TextInputWidget(attributes={"inputmode": "decimal"}))


def date_node(title, description="", missing=colander.required):
    """A date typed the user's way (``dd/mm/aaaa`` in Spanish, ISO in English), its pattern as placeholder."""
    return colander.SchemaNode(parsing.BoundedDate(), title=title, description=description, missing=missing,
                               widget=parsing.DateTextWidget())


class Cells:
    """The columns core's ``Column(kind=…)`` cannot say alone: a progress percentage with no decimals and a
    term in months ("12 meses"), as words on the page and plain in the CSV. Money, dates, rates and codes
    are plain ``kind=`` columns."""

    def __init__(self, request):
        self.csv = request.params.get("format") == "csv"

    def percent(self, rate, places: int = 2):
        if rate is None:
            return ""
        if self.csv:
            return f"{rate * 100:.{places}f} %"
        from core.formatting import current

        return current().percent(rate, places)

    def months(self, count):
        if self.csv:
            return count
        from plugins.lending.i18n import _n

        return _n("${n} month", "${n} months", count)


def buttons(*names) -> tuple:
    """deform buttons by name (tests and scripts press them by name) with titles in the user's language."""
    from plugins.lending.i18n import _

    titles = {"create": _("Create"), "save": _("Save"), "deposit": _("Deposit"), "withdrawal": _("Withdraw"),
              "post": _("Post"), "invest": _("Invest")}
    return tuple(deform.Button(name, title=titles[name]) for name in names)
