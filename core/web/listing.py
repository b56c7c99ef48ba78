"""One list helper for every list page: filters, sorting, pagination, CSV export.

A view describes its columns and filters once; the same statement (already
narrowed by record rules) feeds the HTML page and the CSV export.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from pyramid.response import Response
from sqlalchemy import func, select

from core.web.parsing import (
    FILTER_MAX_TEXT,
    INT32_MAX,
    INT64_MAX,
    InputError,
    parse_date,
    parse_id,
    parse_int,
    parse_text,
)

PAGE_SIZES = (25, 50, 100)


@dataclass(frozen=True)
class Column:
    key: str
    title: str
    sort: Any = None  # SQL expression to sort by, or None (not sortable)
    value: Callable | None = None  # row -> display value; default getattr(row, key)
    link: Callable | None = None  # (request, row) -> URL
    css: str = ""

    def get(self, row):
        if self.value is not None:
            return self.value(row)
        return getattr(row, self.key, "")


@dataclass(frozen=True)
class Filter:
    key: str
    title: str
    apply: Callable  # (stmt, value) -> stmt
    choices: tuple = ()  # ((value, label), ...) for a select; empty = text input
    kind: str = "text"  # text | date (apply gets the ISO string) | id (apply gets an int)

    def parse(self, raw: str):
        """The filter's value from the query string, read by core.web.parsing; InputError when unreadable."""
        text = parse_text(raw, self.key, max_length=FILTER_MAX_TEXT)
        if not text:
            return ""
        if self.choices and text not in {str(c[0]) for c in self.choices}:
            raise InputError(f"“{self.title}”: choose one of the listed values.", self.key)
        if self.kind == "date":
            return parse_date(text, self.key).isoformat()
        if self.kind == "id":
            return parse_id(text, self.key, maximum=INT32_MAX)  # ids here are Integer columns
        return text


@dataclass
class Listing:
    request: Any
    stmt: Any  # a select() already narrowed by record rules
    columns: list[Column]
    filters: list[Filter] = field(default_factory=list)
    default_sort: str = ""
    export_name: str = "export"
    #: set by run()
    rows: list = field(default_factory=list)
    total: int = 0
    page: int = 1
    per_page: int = 25
    sort: str = ""
    values: dict = field(default_factory=dict)
    errors: dict = field(default_factory=dict)  # filter key -> why its value was ignored

    def filtered(self):
        """The statement narrowed by every readable filter; an unreadable one is ignored and explained."""
        stmt = self.stmt
        self.errors = {}
        for flt in self.filters:
            try:
                value = flt.parse(self.request.params.get(flt.key) or "")
            except InputError as exc:
                self.errors[flt.key] = f"{flt.title}: {exc} This filter was ignored."
                continue
            if value != "":
                self.values[flt.key] = value
                stmt = flt.apply(stmt, value)
        return stmt

    def ordered(self, stmt):
        sort = self.request.params.get("sort") or self.default_sort
        key = sort.lstrip("-")
        col = next((c for c in self.columns if c.key == key and c.sort is not None), None)
        if col is None:
            return stmt
        self.sort = sort
        return stmt.order_by(col.sort.desc() if sort.startswith("-") else col.sort.asc())

    def run(self) -> Listing:
        stmt = self.ordered(self.filtered())
        session = self.request.dbsession
        self.total = session.scalar(count_query(stmt))
        self.per_page = _whole(self.request.params.get("per_page"), 25)
        self.per_page = self.per_page if self.per_page in PAGE_SIZES else 25
        self.page = min(max(1, _whole(self.request.params.get("page"), 1)), self.pages)
        result = session.execute(stmt.limit(self.per_page).offset((self.page - 1) * self.per_page))
        self.rows = list(result.scalars() if len(result.keys()) == 1 else result)
        return self

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    def url(self, **changes) -> str:
        params = {**self.values, "sort": self.sort, "per_page": self.per_page, "page": self.page, **changes}
        params = {k: v for k, v in params.items() if v not in ("", None)}
        return self.request.path + "?" + urlencode(params)

    def sort_url(self, col: Column) -> str:
        new = "-" + col.key if self.sort == col.key else col.key
        return self.url(sort=new, page=1)

    def csv_url(self) -> str:
        return self.url(format="csv", page=None, per_page=None)

    def wants_csv(self) -> bool:
        return self.request.params.get("format") == "csv"

    def csv_response(self) -> Response:
        """Every filtered row (not just this page), streamed as CSV."""
        from core.audit import record_event

        stmt = self.ordered(self.filtered())
        session = self.request.dbsession
        record_event(session, "csv_export", "core.export", None,
                     {"list": self.export_name, "filters": self.values})
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow([c.title for c in self.columns])
        result = session.execute(stmt.execution_options(yield_per=1000))
        rows = result.scalars() if len(result.keys()) == 1 else result
        for row in rows:
            writer.writerow([_csv_cell(c.get(row)) for c in self.columns])
        response = Response(body=buf.getvalue().encode("utf-8"), content_type="text/csv", charset="utf-8")
        response.content_disposition = f'attachment; filename="{self.export_name}.csv"'
        return response


def _whole(text, default: int) -> int:
    """A page number or size from the query string; anything unreadable is the default."""
    try:
        return parse_int(text or "", minimum=1, maximum=INT64_MAX)
    except InputError:
        return default


def count_query(stmt):
    """COUNT(*) of a list query: the same FROM and WHERE, without its columns or order.

    Counting over a subquery would make the database compute every selected
    column (correlated sums included) for every row; most lists need none.
    """
    if stmt._group_by_clauses or stmt._distinct or stmt._limit_clause is not None:
        return select(func.count()).select_from(stmt.order_by(None).subquery())
    return stmt.with_only_columns(func.count(), maintain_column_froms=True).order_by(None)


def _csv_cell(value):
    text = "" if value is None else str(value)
    # Spreadsheets run cells starting with = + - @ as formulas: defuse them.
    if text[:1] in ("=", "+", "@") or (text[:1] == "-" and not _is_number(text)):
        return "'" + text
    return text


def _is_number(text: str) -> bool:
    from decimal import Decimal, InvalidOperation

    try:
        return Decimal(text).is_finite()
    except InvalidOperation:
        return False


#: The page template of a plain list: title, action buttons, intro, the listing.
LIST_PAGE = "core:web/templates/list_page.pt"


def render_listing(listing: Listing, **extra):
    """Run a listing; return the CSV response or the template values."""
    if listing.wants_csv():
        return listing.csv_response()
    listing.run()
    return {"listing": listing, **extra}
