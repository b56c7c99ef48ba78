"""The one JSON API convention: operations plugins declare, and what core does with them.

A plugin (core included) implements the hook ``mutuo_api()`` and returns a list of
:class:`Operation`. Core mounts each one at ``/api/v1/<plugin><path>``, checks its
permission (Bearer API key, or a login session plus the ``X-CSRF-Token`` header on
unsafe methods), validates the query, path and JSON body against the operation's
JSON Schemas, calls the handler, validates the answer against the response schema,
and describes all of it in one OpenAPI 3.1 document (``/api/v1/openapi.json``).
Errors are RFC 9457 problem documents (:class:`ApiProblem`). See docs/api.md.

Schemas are plain JSON Schema (draft 2020-12, the dialect of OpenAPI 3.1) dicts:
the document publishes exactly what the validator (``jsonschema``) checks, with
no translation layer between a model library and the spec. The helpers below
(:func:`obj`, :data:`MONEY`, :data:`ID`…) keep them short.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from core.i18n import _

API_PREFIX = "/api/v1"
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
UNSAFE = ("POST", "PUT", "PATCH", "DELETE")

# -- schema helpers ----------------------------------------------------------------

ID = {"type": "integer", "minimum": 1, "maximum": 2147483647}
MONEY = {"type": "string", "pattern": r"^-?[0-9]{1,16}\.[0-9]{2}$", "description": "Decimal money as a string."}
DATE = {"type": "string", "format": "date"}
DATETIME = {"type": "string", "format": "date-time"}


def nullable(schema: dict) -> dict:
    """``schema`` or null (OpenAPI 3.1 / JSON Schema: a type list)."""
    out = dict(schema)
    kind = out.get("type")
    if isinstance(kind, str):
        out["type"] = [kind, "null"]
    elif isinstance(kind, list) and "null" not in kind:
        out["type"] = [*kind, "null"]
    else:
        return {"anyOf": [schema, {"type": "null"}]}
    if "enum" in out:
        out["enum"] = [*out["enum"], None]
    return out


def obj(properties: dict, required=None, *, extra: bool = False, **kw) -> dict:
    """An object schema; every property is required unless ``required`` says otherwise."""
    return {"type": "object", "properties": properties,
            "required": list(properties) if required is None else list(required),
            "additionalProperties": extra, **kw}


def array(items: dict, **kw) -> dict:
    return {"type": "array", "items": items, **kw}


def text(max_length: int = 200, min_length: int = 0, **kw) -> dict:
    return {"type": "string", "maxLength": max_length, "minLength": min_length, **kw}


# -- declarations ------------------------------------------------------------------

@dataclass(frozen=True)
class Filter:
    """A query parameter of a list operation narrowing it by ``column``, or by a condition.

    ``op``: ``eq`` (default), ``gte``/``lte`` (ranges: dates, times, amounts), ``contains``
    (case-insensitive substring). ``schema`` is the parameter's JSON Schema; by default it is
    derived from the column's type.

    A filter that is no comparison of one column gives ``where`` instead: a function
    ``where(value, session) -> SQL condition`` called with the parameter's value (validated and
    typed by ``schema``, which is then required: booleans are ``True``/``False``, integers
    ``int``) and the request's session; ``column`` and ``op`` are left out::

        "open": Filter(schema={"type": "boolean"},
                       where=lambda open_, session: Case.status.in_(OPEN) if open_ else Case.status.not_in(OPEN))
    """

    column: Any = None
    op: str = "eq"
    schema: dict | None = None
    description: str = ""
    where: Callable | None = None  # (value, session) -> SQL condition; needs ``schema``

    def __post_init__(self):
        if self.where is None and self.column is None:
            raise TypeError("a Filter needs a column or a where condition")
        if self.where is not None and self.schema is None:
            raise TypeError("a Filter with a where condition needs its schema")


@dataclass(frozen=True)
class Listing:
    """What makes an operation a list: filters, sort keys and the serializer of one item.

    The handler returns a SQLAlchemy ``select`` of ``model`` (narrowed by record rules:
    use ``core.security.restricted_query``); core applies the filters, the sort and the
    cursor, and answers ``{"items": [...], "next_cursor": "..." | null}``. Sort keys must
    be NOT NULL columns; ties are broken by the primary key ``id``, so the cursor
    (opaque: the last row's sort value and id, signed) never skips nor repeats a row.
    """

    model: Any
    item: Callable  # row -> dict matching the operation's ``response`` (the item schema)
    filters: dict[str, Filter] = field(default_factory=dict)
    sorts: dict[str, Any] = field(default_factory=dict)  # name -> column; "id" is always there
    default_sort: str = "id"
    max_limit: int = 200
    default_limit: int = 50


@dataclass(frozen=True)
class Operation:
    """One API operation.

    ``path`` is relative to ``/api/v1/<plugin>`` (``"/loans/{id}"``); ``name`` is unique in
    the plugin (``"loans.read"``): the operationId is ``<plugin>.<name>``, the route
    ``api.<plugin>.<name>``. ``permission`` is mandatory. ``handler(request, call)`` gets an
    :class:`ApiCall` and returns the response body (a dict or list, validated against
    ``response``), a :class:`Reply` (another status, a Location), a Pyramid ``Response``
    (``raw=True``: downloads), or, for a ``listing``, a ``select``. Refusals are raised:
    ``core.errors.UserError`` (422, or 409 for a ``ConflictError``; its ``extra`` dict become
    members of the problem), ``NotFound`` (404), ``AccessDenied`` (403) or :class:`ApiProblem`
    for anything else.

    ``status`` is the success status; an operation that may succeed in more than one way
    declares them all in ``statuses`` (``statuses=(200, 201)``: an upsert), each documented with
    the ``response`` schema, and its handler chooses with ``Reply(body, status=...)``; a status
    not declared is a 500. ``status`` defaults to the first of ``statuses``.

    ``body_required=False`` makes the JSON ``body`` optional: a request without one (no body,
    no Content-Type) gets ``call.body == {}`` when the schema is an object (else ``None``).
    """

    method: str
    path: str
    name: str
    handler: Callable
    permission: str
    summary: str
    description: str = ""
    params: dict[str, dict] = field(default_factory=dict)  # query parameter -> JSON Schema
    path_params: dict[str, dict] = field(default_factory=dict)  # default: ID for each {name} in path
    body: dict | None = None  # JSON request body schema
    multipart: dict | None = None  # multipart/form-data schema (file fields: {"type": "string", "format": "binary"})
    response: dict | None = None  # success body schema (the item schema for a listing)
    status: int | None = None  # the success status: 200, or the first of ``statuses``
    statuses: tuple[int, ...] = ()  # more than one success status: the handler's Reply chooses
    body_required: bool = True  # False: the JSON body may be left out (call.body is then {} for an object)
    idempotent: bool = False  # accepts an Idempotency-Key header (POSTs creating records or moving money)
    listing: Listing | None = None
    raw: bool = False  # the handler returns a Response; ``content_type`` describes it
    content_type: str = "application/octet-stream"
    tags: tuple[str, ...] = ()
    deprecated: bool = False

    def __post_init__(self):
        statuses = tuple(self.statuses)
        status = self.status if self.status is not None else (statuses[0] if statuses else 200)
        if statuses and status not in statuses:
            raise ValueError(f"operation {self.name!r}: status {status} is not one of its statuses {statuses}")
        object.__setattr__(self, "status", status)
        object.__setattr__(self, "statuses", statuses or (status,))


@dataclass(frozen=True)
class Reply:
    """A handler's answer with another status than the operation's (one of its ``statuses``), a
    ``Location`` or extra headers."""

    body: Any
    status: int | None = None
    location: str | None = None
    headers: dict = field(default_factory=dict)


@dataclass
class ApiCall:
    """What a handler receives, already validated: ``path`` and ``params`` typed, ``body`` parsed."""

    operation: Operation
    path: dict
    params: dict
    body: Any = None
    files: dict = field(default_factory=dict)  # multipart: name -> cgi FieldStorage (``.file``, ``.filename``)
    form: dict = field(default_factory=dict)  # multipart: the other fields


@dataclass(frozen=True)
class WebhookEvent:
    """An event a plugin may publish (``core.webhooks.publish``) and admins may subscribe to."""

    name: str  # <plugin>.<entity>.<what happened>, e.g. "lending.loan.disbursed"
    description: str
    payload: dict | None = None  # JSON Schema of the ``data`` object (documentation)


# -- problems ------------------------------------------------------------------------

class ApiProblem(Exception):
    """An RFC 9457 problem: raise it from a handler (or core) to answer with it.

    ``errors`` is a list of ``{"field", "message"}``; ``kind`` becomes the ``type``
    (``urn:mutuo:problem:<kind>``; ``about:blank`` when None).
    """

    def __init__(self, status: int, title, detail=None, *, kind: str | None = None,
                 errors: list[dict] | None = None, headers: dict | None = None, **extra):
        super().__init__(str(title))
        self.status, self.title, self.detail, self.kind = status, title, detail, kind
        self.errors, self.headers, self.extra = errors or [], headers or {}, extra


TITLES = {
    400: _("The request is malformed"),
    401: _("Authentication required"),
    403: _("Not allowed"),
    404: _("Not found"),
    405: _("Method not allowed"),
    409: _("Conflict"),
    413: _("Request too large"),
    415: _("Unsupported media type"),
    422: _("The request is not valid"),
    429: _("Too many requests"),
    500: _("Internal error"),
}


def title_for(status: int):
    return TITLES.get(status) or TITLES.get(status // 100 * 100) or _("Error")
