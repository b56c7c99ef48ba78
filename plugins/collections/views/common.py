"""Small helpers shared by collections' views."""
from __future__ import annotations

import colander
import deform

from core.web import parsing
from core.web.forms import run_action, safe_next  # noqa: F401  (core's, re-exported for the views)
from plugins.collections.i18n import code

TEMPLATES = "plugins.collections:templates/"
FORM_PAGE = "core:web/templates/form_page.pt"


def select_widget(values, **kw):
    return deform.widget.SelectWidget(values=values, **kw)


def text_node(title: str, description: str = "", missing="", widget=None, **kw):
    return colander.SchemaNode(colander.String(), title=title, description=description, missing=missing,
                               widget=widget or deform.widget.TextInputWidget(), **kw)


def date_node(title: str, description: str = "", missing=""):
    """A date typed the user's way (31/03/2026 in Spanish, ISO always read) within core's window
    (core.web.parsing.BoundedDate); blank -> ``missing``."""
    return colander.SchemaNode(parsing.BoundedDate(), title=title, description=description, missing=missing,
                               widget=parsing.DateTextWidget())


def money_node(title: str, description: str = "", missing=""):
    """An amount in the user's locale (core.web.parsing.Money); blank -> ``missing``."""
    return colander.SchemaNode(parsing.Money(), title=title, description=description, missing=missing,
                               widget=deform.widget.TextInputWidget(attributes={"inputmode": "decimal"}))


def month_rule(node, value):
    """A colander validator: a month like 2026-03 within core's date window."""
    try:
        parsing.parse_month(value)
    except parsing.InputError as exc:
        raise colander.Invalid(node, exc.args[0]) from None


def label(value):
    """A stored code as words: translated where shown, English in CSV exports (see plugins.collections.i18n)."""
    return code(value)
