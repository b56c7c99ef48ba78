"""Shared by legal's views: the generic record page's pieces, POST parsing, small widgets."""
from __future__ import annotations

import colander
import deform

from core.web import parsing
from core.web.forms import run_action, safe_next  # noqa: F401  (re-exported for the views)
from plugins.legal.i18n import code

TEMPLATES = "plugins.legal:templates/"
RECORD = TEMPLATES + "record.pt"
FORM_PAGE = "core:web/templates/form_page.pt"


def label(value):
    return code(value)


def field(name: str, title, type: str = "text", **kw) -> dict:
    return {"name": name, "label": title, "type": type, **kw}


def action(ident: str, title, url: str, fields=(), style: str = "primary", **kw) -> dict:
    return {"id": ident, "label": title, "url": url, "fields": list(fields), "style": style, **kw}


def post_date(request, name: str, required: bool = True):
    raw = (request.POST.get(name) or "").strip()
    if not raw and not required:
        return None
    return parsing.parse_date(raw, name, locale=parsing.request_locale(request))


def post_money(request, name: str, required: bool = True):
    raw = (request.POST.get(name) or "").strip()
    if not raw and not required:
        return None
    return parsing.parse_money(raw, name, locale=parsing.request_locale(request))


def post_upload(request, name: str = "file"):
    """(bytes, filename) of an uploaded file, or (b"", "") when none was sent."""
    item = request.POST.get(name)
    if item is None or not hasattr(item, "file"):
        return b"", ""
    return item.file.read(), item.filename or "file"


def text_node(title, description="", missing="", widget=None, **kw):
    return colander.SchemaNode(colander.String(), title=title, description=description, missing=missing,
                               widget=widget or deform.widget.TextInputWidget(), **kw)


def date_node(title, description="", missing=None):
    return colander.SchemaNode(parsing.BoundedDate(), title=title, description=description, missing=missing,
                               widget=parsing.DateTextWidget())


def money_node(title, description="", missing=None):
    return colander.SchemaNode(parsing.Money(), title=title, description=description, missing=missing,
                               widget=deform.widget.TextInputWidget(attributes={"inputmode": "decimal"}))


def int_node(title, description="", missing=None, default=None):
    return colander.SchemaNode(parsing.WholeNumber(), title=title, description=description, missing=missing,
                               default=default if default is not None else colander.null)


def select_node(title, choices, missing=colander.required, default=colander.null):
    return colander.SchemaNode(colander.String(), title=title, missing=missing, default=default,
                               widget=deform.widget.SelectWidget(values=list(choices)))
