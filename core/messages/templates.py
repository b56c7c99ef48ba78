"""Message templates: plain text with named placeholders such as ``{customer}``.

A department says which placeholder names its texts may use; :func:`check_template`
refuses anything the two renderers could not render alike, :func:`render` fills a
text in Python (one message), and :func:`render_sql` builds the SQL expression that
fills it for many rows in one statement (a daily job). The rule is the same for both:
each ``{name}`` is replaced by the value's text, nothing else is interpreted — so
braces are only for placeholders and formats (``{amount:>12}``) are refused.
Values are formatted by the caller (:func:`amount_sql` writes money the way
``f"{x:,.2f}"`` does, for the SQL side).
"""
from __future__ import annotations

import string
from collections.abc import Iterable, Mapping

from sqlalchemy import Integer, String, cast, func

from core.errors import UserError
from core.i18n import _


def check_template(text: str, placeholders: Iterable[str], field: str = "message") -> None:
    """Refuse a text with an unknown placeholder, a format, or stray braces (``UserError`` on ``field``)."""
    allowed = tuple(placeholders)
    if "{{" in text or "}}" in text:
        raise UserError(_("Braces are only for placeholders such as ${example}; remove the {{ or }}.",
                          mapping={"example": "{%s}" % (allowed[0] if allowed else "name")}), field)
    try:
        parts = list(string.Formatter().parse(text))
    except ValueError:
        raise UserError(_("The text has an unmatched { or }; every { needs its }."), field) from None
    for _text, name, spec, conversion in parts:
        if name is None:
            continue
        if name not in allowed:
            if not allowed:
                raise UserError(_("Unknown placeholder ${placeholder}; this text takes no placeholders.",
                                  mapping={"placeholder": "{" + name + "}"}), field)
            raise UserError(_("Unknown placeholder ${placeholder}; use ${listed}.",
                              mapping={"placeholder": "{" + name + "}",
                                       "listed": ", ".join("{" + p + "}" for p in allowed)}), field)
        if spec or conversion:
            raise UserError(_("Write placeholders plainly, like ${placeholder}; formats are not supported.",
                              mapping={"placeholder": "{" + name + "}"}), field)


def render(text: str, values: Mapping[str, object]) -> str:
    """The reference rendering: each ``{name}`` becomes ``str(values[name])``."""
    return text.format_map({name: str(value) for name, value in values.items()})


def render_sql(text, values: Mapping[str, object]):
    """SQL giving the same text as :func:`render` for every row; ``values`` maps names to SQL expressions."""
    out = text
    for name, value in values.items():
        out = func.replace(out, "{" + name + "}", cast(value, String))
    return out


def amount_sql(dialect: str, amount):
    """SQL: ``amount`` written like ``1,234.56`` (as ``f"{amount:,.2f}"``)."""
    if dialect == "postgresql":
        return func.to_char(amount, "FM999,999,999,999,990.00")
    # SQLite's printf groups thousands for integers only: whole part, then the cents.
    return func.printf("%,d", cast(amount, Integer)) + "." + func.substr(func.printf("%.2f", amount), -2)
