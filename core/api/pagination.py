"""List operations: filters, sorting and cursor pagination over ``(sort key, id)``.

The cursor is opaque to clients: base64url of ``[sort, last sort value, last id]``
with an HMAC of the app's secret, so a cursor cannot be forged into a query that
fails; a bad one is a 422 problem. Keyset pagination keeps every page as fast as
the first and never skips or repeats a row when rows are added meanwhile.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import and_, func, or_

from core.api import DATE, DATETIME, ApiProblem, Listing
from core.i18n import _

CURSOR_MAX = 500


def _kind(column) -> type:
    kind = column.type
    kind = getattr(kind, "impl_instance", None) or getattr(kind, "impl", kind)  # a TypeDecorator: its impl
    try:
        return kind.python_type
    except (AttributeError, NotImplementedError):
        return str


def filter_schema(flt) -> dict:
    if flt.schema is not None:
        return {**flt.schema, **({"description": flt.description} if flt.description else {})}
    kind = _kind(flt.column)
    schema: dict[str, Any]
    if kind is bool:
        schema = {"type": "boolean"}
    elif kind is int:
        schema = {"type": "integer", "minimum": -2147483648, "maximum": 2147483647}
    elif kind is Decimal:
        schema = {"type": "string", "pattern": r"^-?[0-9]{1,16}(\.[0-9]{1,6})?$"}
    elif kind is datetime:
        schema = dict(DATETIME)
    elif kind is date:
        schema = dict(DATE)
    else:
        length = getattr(flt.column.type, "length", None) or 200
        schema = {"type": "string", "minLength": 1, "maxLength": length}
    return {**schema, **({"description": flt.description} if flt.description else {})}


def list_params(listing: Listing) -> dict[str, dict]:
    """The query parameters of a list operation: limit, cursor, sort and its filters."""
    sorts = sort_columns(listing)
    params: dict[str, dict] = {
        "limit": {"type": "integer", "minimum": 1, "maximum": listing.max_limit, "default": listing.default_limit,
                  "description": "Items per page."},
        "cursor": {"type": "string", "minLength": 1, "maxLength": CURSOR_MAX,
                   "description": "The next_cursor of the previous page."},
        "sort": {"type": "string", "enum": sorted([*sorts, *(f"-{s}" for s in sorts)]),
                 "default": listing.default_sort, "description": "A sort key; a leading '-' sorts descending."},
    }
    for name, flt in listing.filters.items():
        params[name] = filter_schema(flt)
    return params


def sort_columns(listing: Listing) -> dict:
    return {"id": listing.model.id, **listing.sorts}


def _typed(column, value):
    kind = _kind(column)
    if value is None:
        return None
    if kind is datetime:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if kind is date:
        return date.fromisoformat(str(value))
    if kind is Decimal:
        return Decimal(str(value))
    if kind is int:
        return int(value)
    if kind is bool:
        return value if isinstance(value, bool) else str(value).lower() == "true"
    return str(value)


def _plain(value):
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _mac(secret: str, payload: bytes) -> str:
    return hmac.new(secret.encode(), payload, hashlib.sha256).hexdigest()[:20]


def encode_cursor(secret: str, sort: str, value, ident) -> str:
    payload = json.dumps([sort, _plain(value), ident], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(payload).decode().rstrip("=") + "." + _mac(secret, payload)


def decode_cursor(secret: str, cursor: str, sort: str):
    bad = ApiProblem(422, _("The request is not valid"), _("The cursor is not one this API gave, or it is for "
                                                           "another sort order."), kind="validation",
                     errors=[{"field": "cursor", "message": "unknown cursor"}])
    data, _sep, mac = cursor.partition(".")
    try:
        payload = base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))
    except (ValueError, TypeError):
        raise bad from None
    if not hmac.compare_digest(_mac(secret, payload).encode(), mac.encode("utf-8", "surrogatepass")):
        raise bad  # compared as bytes: compare_digest refuses str holding non-ASCII (a made-up cursor)
    try:
        name, value, ident = json.loads(payload)
    except (ValueError, TypeError):
        raise bad from None
    if name != sort:
        raise bad
    return value, ident


def _apply_filter(stmt, flt, value, session=None):
    if flt.where is not None:  # the value was typed and validated by the filter's schema
        return stmt.where(flt.where(value, session))
    column = flt.column
    try:
        value = _typed(column, value)
    except (ValueError, InvalidOperation):
        raise ApiProblem(422, _("The request is not valid"), kind="validation",
                         errors=[{"field": str(column.key), "message": "not a valid value"}]) from None
    if flt.op == "gte":
        return stmt.where(column >= value)
    if flt.op == "lte":
        return stmt.where(column <= value)
    if flt.op == "contains":
        escaped = str(value).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        return stmt.where(func.lower(column).like(f"%{escaped.lower()}%", escape="\\"))
    return stmt.where(column == value)


def paginate(session, stmt, listing: Listing, params: dict, secret: str) -> dict:
    """``{"items", "next_cursor"}`` of ``stmt`` filtered, sorted and cut at the cursor."""
    for name, flt in listing.filters.items():
        if params.get(name) is not None:
            stmt = _apply_filter(stmt, flt, params[name], session)
    sort = params.get("sort") or listing.default_sort
    descending = sort.startswith("-")
    key = sort.lstrip("-")
    column = sort_columns(listing)[key]
    ident = listing.model.id
    if params.get("cursor"):
        value, last_id = decode_cursor(secret, params["cursor"], sort)
        try:
            value, last_id = _typed(column, value), int(last_id)
        except (ValueError, TypeError, InvalidOperation):
            raise ApiProblem(422, _("The request is not valid"), kind="validation",
                             errors=[{"field": "cursor", "message": "unknown cursor"}]) from None
        if key == "id":
            stmt = stmt.where(ident < last_id if descending else ident > last_id)
        elif descending:
            stmt = stmt.where(or_(column < value, and_(column == value, ident < last_id)))
        else:
            stmt = stmt.where(or_(column > value, and_(column == value, ident > last_id)))
    order = [column.desc(), ident.desc()] if descending else [column.asc(), ident.asc()]
    if key == "id":
        order = order[:1]
    limit = params.get("limit") or listing.default_limit
    rows = session.scalars(stmt.order_by(*order).limit(limit + 1)).unique().all()
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = None
    if more and rows:
        last = rows[-1]
        next_cursor = encode_cursor(secret, sort, getattr(last, column.key), last.id)
    return {"items": [listing.item(row) for row in rows], "next_cursor": next_cursor}
