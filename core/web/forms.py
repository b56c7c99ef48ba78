"""deform glue: render a form, validate, call a service, show field errors.

Services raise ``FieldError``-like exceptions (any exception with a ``field``
attribute); they become an error on that field, never a traceback, and the
transaction is rolled back so nothing half-written remains. The answer's
status comes from :func:`error_status`: 409 Conflict for a
:class:`core.errors.ConflictError` (the record's state refuses it: already
funded, no longer available), 400 for any other refusal.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path

import colander
import deform
from pyramid.httpexceptions import HTTPFound

from core.errors import ConflictError, FormError, UserError  # noqa: F401  (FormError: services raise it, forms show it on the field)
from core.i18n import translate
from core.web.parsing import harden_schema, safe_path


def _deform_translator(term):
    """deform's widgets and colander's messages in the request's language (their own catalogues too)."""
    return translate(term)


#: Mutuo's overrides of a few deform widget templates come first (core/web/deform).
DEFORM_OVERRIDES = str(Path(__file__).resolve().parent / "deform")
deform.Form.set_zpt_renderer((DEFORM_OVERRIDES, *deform.Form.default_renderer.loader.search_path),
                             translator=_deform_translator)


def error_status(exc: UserError) -> int:
    """The HTTP status of a service's refusal: 409 when the record's state refuses it, else 400."""
    return 409 if isinstance(exc, ConflictError) else 400


def error_json(request, exc: UserError) -> dict:
    """A refusal as the JSON API answers it (``{"error", "field"}``), with its status set."""
    request.response.status = error_status(exc)
    return {"error": translate(exc), "field": exc.field}


class CSRFSchema(colander.MappingSchema):
    """Every form carries the session's CSRF token (checked by Pyramid)."""

    @colander.deferred
    def _token(node, kw):
        return kw["request"].session.get_csrf_token()

    csrf_token = colander.SchemaNode(colander.String(), widget=deform.widget.HiddenWidget(), default=_token)


def make_form(request, schema: colander.Schema, buttons=("save",), **kw) -> deform.Form:
    """A bound deform form; every text field gets the input rules of ``core.web.parsing`` and every
    required one ``aria-required`` (its label gets the mark, see core/web/deform/mapping_item.pt)."""
    schema = harden_schema(schema.bind(request=request, **kw.pop("bind", {})))
    form = deform.Form(schema, buttons=buttons, **kw)
    mark_required(form)
    return form


def mark_required(field) -> None:
    """``aria-required="true"`` on the input of every required field of a deform form (on a copy of
    its widget: a widget may be shared between schemas)."""
    for child in field.children:
        if child.children:
            mark_required(child)
            continue
        widget = child.widget
        if not child.required or getattr(widget, "hidden", False):
            continue
        widget = copy.copy(widget)
        widget.attributes = {**(getattr(widget, "attributes", None) or {}), "aria-required": "true"}
        child.widget = widget


@dataclass(frozen=True)
class FieldError:
    """One line of a form's error summary: the field's input id (the link), its title and message."""

    oid: str
    title: str
    message: str


def error_summary(field) -> list[FieldError]:
    """Every field in error under ``field`` (a deform form), in the order they are shown."""
    found: list[FieldError] = []
    for child in field.children:
        if child.children and child.typ.__class__.__name__ == "Mapping":
            found.extend(error_summary(child))
            continue
        if child.error is None or getattr(child.widget, "hidden", False):
            continue
        message = "; ".join(translate(m) for m in child.error.messages()) or translate(child.error.msg or "")
        found.append(FieldError(child.oid, translate(child.title), message))
    return found


def process(request, form: deform.Form, on_valid, appstruct=None, success_url=None):
    """Handle GET/POST for ``form``. ``on_valid(appstruct)`` returns a URL or a response."""
    if request.method == "POST" and any(b.name in request.POST for b in form.buttons):
        try:
            data = form.validate(request.POST.items())
        except deform.ValidationFailure as failure:
            request.response.status = 400
            return {"form": failure.render()}
        data.pop("csrf_token", None)
        point = Savepoint(request)
        try:
            result = on_valid(data)
        except UserError as exc:
            point.rollback()
            request.response.status = error_status(exc)
            return {"form": render_with_error(form, data, exc)}
        if isinstance(result, str):
            return HTTPFound(result)
        if result is not None:
            return result
        return HTTPFound(success_url or request.path)
    return {"form": form.render(appstruct or {})}


class Savepoint:
    """Undo a service's partial writes when it refuses (the audit hooks drop what it queued)."""

    def __init__(self, request):
        self.nested = request.dbsession.begin_nested()

    def rollback(self):
        self.nested.rollback()

def render_with_error(form: deform.Form, data: dict, exc: Exception) -> str:
    field = getattr(exc, "field", None)
    error = colander.Invalid(form.schema, None if field in [c.name for c in form.schema.children] else translate(exc))
    if field in [c.name for c in form.schema.children]:
        error[field] = translate(exc)
    form.widget.handle_error(form, error)
    return form.render(data)


def page(title, result, **extra):
    """A form view's answer: the redirect after success, else the page values."""
    return {"title": title, **extra, **result} if isinstance(result, dict) else result


def run_action(request, action, success, back: str):
    """Run a service from a POSTed workflow button.

    A refusal (UserError) is flashed and its partial writes are undone; on
    success ``success`` (a message, or a function of the result) is flashed.
    Redirects to the URL the action returned, else to ``back``. A client that
    asks for JSON gets the refusal as JSON with its status (400, or 409 for a
    conflict of state) instead of the flash and redirect.
    """
    from pyramid.renderers import render_to_response

    from core.web.shell import flash, wants_json

    point = Savepoint(request)
    try:
        result = action()
    except UserError as exc:
        point.rollback()
        if wants_json(request):
            body = error_json(request, exc)
            return render_to_response("json", body, request=request, response=request.response)
        flash(request, exc, "danger")
        return HTTPFound(back)
    if success is not None:
        flash(request, success(result) if callable(success) else success)
    return HTTPFound(result if isinstance(result, str) else back)


def safe_next(request, default: str) -> str:
    """The ``next`` parameter when it is a path on this site, else ``default`` (no open redirects)."""
    return safe_path(request.params.get("next") or "", default) or default
