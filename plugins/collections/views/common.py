"""Small helpers shared by collections' views."""
from __future__ import annotations

from urllib.parse import urlparse

import colander
import deform
from pyramid.httpexceptions import HTTPFound

from core.errors import UserError
from core.web.forms import Savepoint
from core.web.shell import flash

TEMPLATES = "plugins.collections:templates/"
FORM_PAGE = "core:web/templates/form_page.pt"


def run_action(request, action, success, back: str):
    """Run a service from a POSTed button; a refusal is flashed (naming the field) and nothing is kept."""
    point = Savepoint(request)
    try:
        result = action()
    except UserError as exc:
        point.rollback()
        flash(request, str(exc), "danger")
        return HTTPFound(back)
    if point.nested.is_active:
        point.nested.commit()  # release the savepoint: its writes (and their audit entries) are kept
    flash(request, success(result) if callable(success) else success)
    return HTTPFound(back)


def safe_next(request, default: str) -> str:
    """A local path to go back to (never another site)."""
    target = request.params.get("next") or ""
    parsed = urlparse(target)
    if target.startswith("/") and not target.startswith("//") and not parsed.netloc:
        return target
    return default


def select_widget(values, **kw):
    return deform.widget.SelectWidget(values=values, **kw)


def text_node(title: str, description: str = "", missing="", widget=None, **kw):
    return colander.SchemaNode(colander.String(), title=title, description=description, missing=missing,
                               widget=widget or deform.widget.TextInputWidget(), **kw)


def date_node(title: str, description: str = "", missing=""):
    return text_node(title, description, missing, deform.widget.TextInputWidget(attributes={"type": "date"}))


def money_node(title: str, description: str = "", missing=""):
    return text_node(title, description, missing, deform.widget.TextInputWidget(attributes={"inputmode": "decimal"}))


def label(value) -> str:
    return str(value or "").replace("_", " ")
