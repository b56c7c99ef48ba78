"""Small helpers shared by crm's views."""
from __future__ import annotations

import colander
import deform

from core.web import parsing
from core.web.forms import run_action, safe_next  # noqa: F401  (core's, re-exported for the views)
from core.web.lookups import LookupWidget
from plugins.crm.i18n import _

TEMPLATES = "plugins.crm:templates/"
FORM_PAGE = "core:web/templates/form_page.pt"
LIST_PAGE = "core:web/templates/list_page.pt"


def choices(values, blank: bool = False):
    words = [(v, _(v.replace("_", " ")) if v else _("— none —")) for v in values]
    return ([("", _("— choose —"))] if blank else []) + words


def select_node(title, values, default=colander.null, missing=colander.required, blank=False):
    return colander.SchemaNode(colander.String(), title=title, default=default, missing=missing,
                               widget=deform.widget.SelectWidget(values=choices(values, blank)))


def text_node(title, description: str = "", missing="", widget=None, **kw):
    return colander.SchemaNode(colander.String(), title=title, description=description, missing=missing,
                               widget=widget or deform.widget.TextInputWidget(), **kw)


def date_node(title, description: str = "", missing=None):
    return colander.SchemaNode(parsing.BoundedDate(), title=title, description=description, missing=missing,
                               widget=parsing.DateTextWidget())


def money_node(title, description: str = "", missing=colander.required):
    return colander.SchemaNode(parsing.Money(), title=title, description=description, missing=missing,
                               widget=deform.widget.TextInputWidget(attributes={"inputmode": "decimal"}))


def lookup_node(title, lookup: str, column, missing=None, description: str = ""):
    return colander.SchemaNode(parsing.Id(parsing.int_bound(column)), title=title, missing=missing,
                               description=description, widget=LookupWidget(lookup=lookup))


def minutes_node(title, missing=colander.required):
    return colander.SchemaNode(colander.Integer(), title=title, missing=missing,
                               validator=colander.Range(1, 24 * 60),
                               widget=deform.widget.TextInputWidget(attributes={"inputmode": "numeric"}))
