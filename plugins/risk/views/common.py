"""Small helpers shared by risk's views."""
from __future__ import annotations

import colander
import deform

from core.web.forms import run_action, safe_next  # noqa: F401  (core's, re-exported for the views)
from plugins.risk.i18n import word

TEMPLATES = "plugins.risk:templates/"
FORM_PAGE = "core:web/templates/form_page.pt"


def choices(values) -> list[tuple[str, str]]:
    return [(v, word(v)) for v in values]


def select_node(title, values, missing=colander.required, default=colander.null):
    return colander.SchemaNode(colander.String(), title=title, missing=missing, default=default,
                               validator=colander.OneOf([v for v, _label in values]),
                               widget=deform.widget.SelectWidget(values=values))


def text_node(title, description="", missing="", rows=0, **kw):
    widget = deform.widget.TextAreaWidget(rows=rows) if rows else deform.widget.TextInputWidget()
    return colander.SchemaNode(colander.String(), title=title, description=description, missing=missing,
                               widget=widget, **kw)
