"""Lookups: choose a record by typing part of its name, number, phone or ID.

A plugin declares a :class:`Lookup` in ``mutuo_lookups()``; core serves it at
``GET /lookup/<name>?q=TEXT`` as ``{"results": [{"id", "label", "detail"}]}``
(at most :data:`MAX_RESULTS`, best first), guarded by the lookup's permission and
read through ``restricted_query`` so the record rules hold: a collector's lookup
never offers another collector's records. Forms use it with
:class:`LookupWidget`, which posts the chosen record's id exactly as a typed id
field did, so services do not change.

``match(stmt, q) -> stmt`` narrows AND orders the statement (best first).
:func:`text_match` is the simple case-insensitive one; ``core.search`` gives ranked
ones with the same signature.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import colander
import deform
from sqlalchemy import Select, case, func, or_

from core.errors import StartupError, UserError
from core.i18n import _, translate
from core.security import restricted_query

#: The most results a lookup answers (the list under the field, not a search page).
MAX_RESULTS = 10
#: Longer text is not a name, number, phone or ID: refused with a message.
MAX_QUERY = 100
_NAME = re.compile(r"[a-z][a-z0-9_]*\.[a-z][a-z0-9_.]*")


def _no_detail(row) -> str:
    return ""


@dataclass(frozen=True)
class Lookup:
    """A record picker served at ``/lookup/<name>``.

    ``name``: ``<plugin>.<thing>`` (``lending.borrower``); ``model``: the mapped class whose
    primary key is posted; ``permission``: who may search it; ``match(stmt, q)``: narrows and
    orders ``select(model)`` for the text typed; ``label(row)``: the record as a person names
    it; ``detail(row)``: a second line that tells two namesakes apart (ID, phone).
    """

    name: str
    model: Any  # a mapped class
    permission: str
    match: Callable[[Select, str], Select]
    label: Callable[[Any], str]
    detail: Callable[[Any], str] = _no_detail


def build_lookup_registry(pm, permissions) -> dict[str, Lookup]:
    """Every enabled plugin's lookups by name; a duplicate name or unknown permission stops start-up."""
    found: dict[str, Lookup] = {}
    for owner, declared in pm.call_per_plugin("mutuo_lookups"):
        for lookup in declared:
            if not _NAME.fullmatch(lookup.name):
                raise StartupError(f"Lookup '{lookup.name}' ({owner}): name it '<plugin>.<thing>' in lower case.")
            if lookup.name in found:
                raise StartupError(f"Lookup '{lookup.name}' is declared twice ({owner}).")
            if lookup.permission not in permissions:
                raise StartupError(f"Lookup '{lookup.name}' names unknown permission '{lookup.permission}'.")
            found[lookup.name] = lookup
    return found


def lookups(request_or_registry) -> dict[str, Lookup]:
    registry = getattr(request_or_registry, "registry", request_or_registry)
    return registry.get("mutuo.lookups", {})


# -- matching ---------------------------------------------------------------------

def text_match(*columns, number=None) -> Callable[[Select, str], Select]:
    """A simple ``match``: ``q`` inside any of ``columns`` (case-insensitive), or equal to ``number``
    (the record number) when it is all digits. Ordered: the number, then names starting with
    ``q``, then the rest, alphabetically by the first column."""
    first = columns[0]

    def match(stmt: Select, q: str) -> Select:
        wanted = [c.icontains(q, autoescape=True) for c in columns]
        exact = None
        if number is not None and q.isascii() and q.isdigit() and len(q) <= 18:
            exact = number == int(q)
            wanted.append(exact)
        starts = func.lower(first).startswith(q.lower(), autoescape=True)
        rank = case((exact, 0), (starts, 1), else_=2) if exact is not None else case((starts, 1), else_=2)
        return stmt.where(or_(*wanted)).order_by(rank, first)

    return match


# -- answering ------------------------------------------------------------------------

def read_query(raw) -> str:
    """The text typed: stripped, no control characters, at most MAX_QUERY characters (else InputError)."""
    from core.web.parsing import parse_text

    return parse_text(raw if isinstance(raw, str) else "", "q", max_length=MAX_QUERY)


def results(request, lookup: Lookup, q: str) -> list[dict]:
    """The records ``q`` finds that the user may see, best first, as the endpoint answers them."""
    if not q:
        return []
    stmt = lookup.match(restricted_query(request, lookup.model), q).limit(MAX_RESULTS)
    pk = lookup.model.__mapper__.primary_key[0].key
    return [{"id": getattr(row, pk), "label": translate(lookup.label(row)), "detail": translate(lookup.detail(row))}
            for row in request.dbsession.scalars(stmt).unique()]


def resolve(request, lookup: Lookup, ident) -> Any | None:
    """The record with id ``ident`` if the user may see it (for the label of a chosen id), else None."""
    from core.web.parsing import int_bound, parse_id

    pk = lookup.model.__mapper__.primary_key[0]
    try:
        ident = parse_id(ident if isinstance(ident, (str, int)) else "", maximum=int_bound(pk))
    except UserError:
        return None
    if not request.has_permission(lookup.permission):
        return None
    return request.dbsession.scalars(restricted_query(request, lookup.model, pk == ident)).first()


def lookup_view(request):
    """``GET /lookup/<name>?q=``: the JSON answer of the lookup the route names."""
    lookup = lookups(request)[request.matched_route.name.removeprefix("lookup.")]
    try:
        q = read_query(request.params.get("q", ""))
    except UserError as exc:
        request.response.status = 400
        return {"error": translate(exc), "field": "q", "results": []}
    return {"results": results(request, lookup, q)}


def includeme(config):
    """One route per declared lookup (``lookup.<name>`` at ``/lookup/<name>``), guarded by its permission."""
    for name, lookup in sorted(lookups(config.registry).items()):
        route = f"lookup.{name}"
        config.add_route(route, f"/lookup/{name}")
        config.add_view(lookup_view, route_name=route, renderer="json", permission=lookup.permission,
                        request_method="GET", http_cache=0)


# -- the widget -------------------------------------------------------------------------

class LookupWidget(deform.widget.Widget):
    """A text field that searches ``/lookup/<lookup>`` as one types and posts the chosen record's id.

    Without JavaScript it is a plain id field. With it (``core/web/static/lookup.js``) the id moves
    to a hidden input and the visible input becomes an ARIA combobox. The label of an id already
    chosen (re-rendering after an error, editing) is resolved here, through the record rules.
    """

    template = "lookup"
    readonly_template = "lookup"
    placeholder = _("Type a name, number, phone or ID")

    def __init__(self, lookup: str, **kw):
        super().__init__(lookup=lookup, **kw)

    def _request(self, field):
        request = field.schema.bindings.get("request") if getattr(field.schema, "bindings", None) else None
        if request is None:
            from pyramid.threadlocal import get_current_request

            request = get_current_request()
        return request

    def chosen(self, field, cstruct) -> tuple[str, str]:
        """(label, detail) of the record ``cstruct`` names, or ("", "") when none the user may see."""
        request = self._request(field)
        lookup = lookups(request).get(self.lookup) if request is not None else None
        if lookup is None or cstruct in (None, "", colander.null):
            return "", ""
        row = resolve(request, lookup, cstruct)
        if row is None:
            return "", ""
        return translate(lookup.label(row)), translate(lookup.detail(row))

    def serialize(self, field, cstruct, **kw):
        if cstruct in (None, colander.null):
            cstruct = ""
        request = self._request(field)
        url = request.route_path(f"lookup.{self.lookup}") if request is not None else ""
        label, detail = self.chosen(field, cstruct)
        values = self.get_template_values(field, cstruct, kw)
        values.update(url=url, label=label, detail=detail, placeholder=translate(self.placeholder))
        return field.renderer(self.template, **values)

    def deserialize(self, field, pstruct):
        if pstruct in (None, colander.null):
            return colander.null
        if not isinstance(pstruct, str):
            raise deform.widget.Invalid(field.schema, _("Choose one record."), pstruct)
        return pstruct.strip() or colander.null


def lookup_input(request, lookup: str, name: str, title: str, value="", oid: str | None = None) -> str:
    """The widget's markup for a hand-written ``<form>`` (not a deform one): ``${structure: ...}`` it
    after a ``<label for="OID">`` (``oid`` defaults to ``<name>-lookup``). It posts ``name``."""
    node = colander.SchemaNode(colander.String(), name=name, title=title, widget=LookupWidget(lookup=lookup))
    node.oid = oid or f"{name}-lookup"
    field = deform.Field(node.bind(request=request), renderer=deform.Form.default_renderer)
    return field.serialize("" if value is None else str(value))
