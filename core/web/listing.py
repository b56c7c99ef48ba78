"""One list helper for every list page: filters, sorting, pagination, CSV export.

A view describes its columns and filters once; the same statement (already
narrowed by record rules) feeds the HTML page and the CSV export.

Cells are shown in the user's language (``h.cell``: ``10.625,00`` and
``4 mar 2026`` in ``es``) by the column's ``kind`` or, without one, by the
value's type; a column's ``value`` should therefore return the value itself
(a Decimal, a date, a code), not text made from it. The CSV export keeps
values locale-independent (ISO dates, plain decimals) under translated
headers; its "spreadsheet in my language" variant (``locale=1``) writes them
as the page shows them, with ``;`` between cells where the decimal symbol is
``,``. Date filters are typed the user's way (``31/03/2026`` in ``es``, ISO
always works).
"""
from __future__ import annotations

import csv
import functools
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from pyramid.response import Response
from sqlalchemy import func, literal_column, select

from core.i18n import TranslationString, _, translate
from core.web.parsing import (
    FILTER_MAX_TEXT,
    INT32_MAX,
    INT64_MAX,
    InputError,
    parse_date,
    parse_id,
    parse_int,
    parse_text,
    request_locale,
)

PAGE_SIZES = (25, 50, 100)
#: A list counts at most this many rows past the start of the page shown ("More than 1,000 found");
#: ``?count=all`` counts them all. Counting 100,000 rows is a scan on every page view; 1,001 is an index peek.
COUNT_CAP = 1000


@dataclass(frozen=True)
class Column:
    """One column. ``title`` is a TranslationString (``_("Amount")``); ``kind`` says how cells are shown:

    ``money`` (``10.625,00``), ``percent`` (a fraction: 0.125 -> ``12,50 %``), ``number``, ``date`` (a day,
    also of a moment), ``label`` (a stored code as words of ``domain``'s catalogue, else of any enabled
    plugin's), ``text`` (as it is), or None: by the value's type (Decimal as money, dates and moments,
    yes/no, counts; integers of an ``id`` or ``*_id`` column as they are).
    """

    key: str
    title: str
    sort: Any = None  # SQL expression to sort by, or None (not sortable)
    value: Callable | None = None  # row -> the cell's value; default getattr(row, key)
    link: Callable | None = None  # (request, row) -> URL
    css: str = ""
    kind: str | None = None  # money | percent | number | date | label | text | None (by type)
    domain: str | None = None  # the catalogue of a ``label`` column's words (a plugin's domain)
    show: Callable | None = None  # (h, value) -> the cell's text where no kind fits; the plain CSV keeps value
    # Presentation (docs/web.md, "Lists that fit"): how the column is laid out, never what it holds.
    card: str = ""  # at phone width: "key" (first on the card), "detail" (below it), "hide"; "" = key if linked
    wide: bool = False  # long text: one line cut with "…", the full value in the cell's title (hover)
    wrap: bool = False  # long text read whole (a note, a diff): wraps within a bounded width
    optional: bool = False  # hidden until the reader ticks it in the column chooser (?columns=a,b); CSV keeps it

    def get(self, row):
        if self.value is not None:
            return self.value(row)
        return getattr(row, self.key, "")

    @property
    def card_role(self) -> str:
        """Where a phone card shows this column: ``key`` (first), ``detail`` or ``hide``."""
        if self.card:
            return self.card
        return "key" if self.link is not None else "detail"

    def kind_of(self, value) -> str | None:
        """The kind a cell is shown by: ids stay as they are (no group separators in ``#1234``)."""
        if self.kind is None and isinstance(value, int) and not isinstance(value, bool) \
                and (self.key == "id" or self.key.endswith("_id")):
            return "text"
        return self.kind


@dataclass(frozen=True)
class Filter:
    key: str
    title: str
    apply: Callable  # (stmt, value) -> stmt
    choices: tuple = ()  # ((value, label), ...) for a select; empty = text input
    kind: str = "text"  # text | date (apply gets the ISO string) | id (apply gets an int)

    def parse(self, raw: str, locale: str | None = None):
        """The filter's value from the query string, read by core.web.parsing; InputError when unreadable.

        ``locale``: the language dates are typed in (``31/03/2026`` in ``es``; ISO is always read).
        """
        text = parse_text(raw, self.key, max_length=FILTER_MAX_TEXT)
        if not text:
            return ""
        if self.choices and text not in {str(c[0]) for c in self.choices}:
            raise InputError(_("Choose one of the listed values."), self.key)
        if self.kind == "date":
            return parse_date(text, self.key, locale=locale).isoformat()
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
    #: how many rows past the page's start are counted; None: always count them all (a list that is never big)
    count_cap: int | None = COUNT_CAP
    #: set by run(): True when ``total`` is a lower bound (there are more rows than counted)
    capped: bool = False

    def filtered(self):
        """The statement narrowed by every readable filter; an unreadable one is ignored and explained."""
        stmt = self.stmt
        self.errors = {}
        locale = request_locale(self.request)
        for flt in self.filters:
            try:
                value = flt.parse(self.request.params.get(flt.key) or "", locale)
            except InputError as exc:
                self.errors[flt.key] = translate(_("${filter}: ${error} This filter was ignored.",
                                                   mapping={"filter": translate(flt.title), "error": translate(exc)}))
                continue
            if value != "":
                self.values[flt.key] = value
                stmt = flt.apply(stmt, value)
        return stmt

    @property
    def shown_columns(self) -> list[Column]:
        """The columns on the page: every column but the optional ones the reader has not chosen."""
        chosen = self.chosen_optional
        return [c for c in self.columns if not c.optional or c.key in chosen]

    @property
    def optional_columns(self) -> list[Column]:
        return [c for c in self.columns if c.optional]

    @property
    def chosen_optional(self) -> set[str]:
        """The optional columns the reader asked for (``?columns=a,b``); unknown keys are ignored."""
        asked = {k.strip() for v in self.request.params.getall("columns") for k in v.split(",")}
        return {c.key for c in self.columns if c.optional and c.key in asked}

    def ordered(self, stmt):
        sort = self.request.params.get("sort") or self.default_sort
        key = sort.lstrip("-")
        col = next((c for c in self.columns if c.key == key and c.sort is not None), None)
        if col is None:
            return stmt
        self.sort = sort
        return stmt.order_by(col.sort.desc() if sort.startswith("-") else col.sort.asc())

    def run(self) -> Listing:
        """Count (capped, see :data:`COUNT_CAP`) and fetch the page asked for: two statements."""
        stmt = self.ordered(self.filtered())
        session = self.request.dbsession
        self.per_page = _whole(self.request.params.get("per_page"), 25)
        self.per_page = self.per_page if self.per_page in PAGE_SIZES else 25
        asked = _whole(self.request.params.get("page"), 1)
        limit = None if self.count_cap is None or self.counts_all else (asked - 1) * self.per_page + self.count_cap
        self.total, self.capped = count_rows(session, stmt, limit)
        self.page = min(max(1, asked), self.pages)
        result = session.execute(stmt.limit(self.per_page).offset((self.page - 1) * self.per_page))
        self.rows = list(result.scalars() if len(result.keys()) == 1 else result)
        return self

    @property
    def counts_all(self) -> bool:
        """The user asked for the exact number (``?count=all``, the "Count all" link)."""
        return self.request.params.get("count") == "all"

    @property
    def pages(self) -> int:
        """Pages known: with a capped count, at least one more follows (the pager says "of 40+")."""
        return max(1, -(-self.total // self.per_page))

    def summary(self) -> str:
        """"1,234 found", or "More than 1,000 found" when the count stopped at its cap."""
        if self.capped:
            return self.h.translate(_("More than ${n} found", mapping={"n": self.h.number(self.total)}))
        return self.h.plural("${n} found", "${n} found", self.total)

    def count_all_url(self) -> str:
        return self.url(count="all")

    def url(self, **changes) -> str:
        chosen = ",".join(c.key for c in self.optional_columns if c.key in self.chosen_optional)
        params = {**self.values, "sort": self.sort, "per_page": self.per_page, "page": self.page,
                  "count": "all" if self.counts_all else None, "columns": chosen, **changes}
        params = {k: v for k, v in params.items() if v not in ("", None)}
        return self.request.path + "?" + urlencode(params)

    def sort_url(self, col: Column) -> str:
        new = "-" + col.key if self.sort == col.key else col.key
        return self.url(sort=new, page=1)

    def chooser_fields(self) -> list[tuple[str, str]]:
        """The query string the column chooser's form keeps (filters, sort, page size), as hidden fields."""
        params = {**self.values, "sort": self.sort, "per_page": self.per_page}
        return [(k, str(v)) for k, v in params.items() if v not in ("", None)]

    def csv_url(self, in_my_language: bool = False) -> str:
        """The CSV export; ``in_my_language``: values as the page shows them, for a spreadsheet in that language."""
        return self.url(format="csv", locale=1 if in_my_language else None, page=None, per_page=None)

    def wants_csv(self) -> bool:
        return self.request.params.get("format") == "csv"

    @functools.cached_property
    def h(self):  # once per listing, not once per cell
        from core.web.helpers import for_request

        return for_request(self.request)

    def cell(self, column: Column, row) -> str:
        """``row``'s cell of ``column`` in the user's language (see :class:`Column`)."""
        value = column.get(row)
        if column.show is not None:
            return "" if value is None else column.show(self.h, value)
        kind = column.kind_of(value)
        return self.h.cell(value, kind, column.domain)

    def filter_value(self, flt: Filter) -> str:
        """What a filter's input shows: a date the user's way (``31/03/2026``), the rest as typed."""
        value = self.values.get(flt.key, "")
        if flt.kind == "date" and value:
            from datetime import date

            return self.h.date_input(date.fromisoformat(value))
        return value

    def csv_response(self) -> Response:
        """Every filtered row (not just this page), streamed as CSV.

        Headers are the columns' titles in the user's language; values are locale-independent
        (ISO dates, ``1234.50``) unless ``locale=1`` asks for them as the page shows them.
        """
        from core.audit import record_event

        in_my_language = self.request.params.get("locale") == "1"
        stmt = self.ordered(self.filtered())
        session = self.request.dbsession
        record_event(session, "csv_export", "core.export", None,
                     {"list": self.export_name, "filters": self.values, "locale": in_my_language})
        buf = io.StringIO()
        delimiter = ";" if in_my_language and self.h.decimal_symbol == "," else ","
        writer = csv.writer(buf, delimiter=delimiter)
        writer.writerow([_csv_text(translate(c.title)) for c in self.columns])
        result = session.execute(stmt.execution_options(yield_per=1000))
        rows = result.scalars() if len(result.keys()) == 1 else result
        for row in rows:
            if in_my_language:
                writer.writerow([_csv_text(self.cell(c, row), _is_quantity(c.get(row))) for c in self.columns])
            else:
                writer.writerow([_csv_cell(c.get(row)) for c in self.columns])
        # A byte order mark tells spreadsheets the localised file is UTF-8 (accents survive Excel).
        body = ("\ufeff" if in_my_language else "") + buf.getvalue()
        response = Response(body=body.encode("utf-8"), content_type="text/csv", charset="utf-8")
        response.content_disposition = f'attachment; filename="{self.export_name}.csv"'
        return response


def _whole(text, default: int) -> int:
    """A page number or size from the query string; anything unreadable is the default."""
    try:
        return parse_int(text or "", minimum=1, maximum=INT64_MAX)
    except InputError:
        return default


def count_rows(session, stmt, limit: int | None) -> tuple[int, bool]:
    """(rows, capped): the rows of a list query, counting at most ``limit`` (None: all of them)."""
    if limit is None:
        return session.scalar(count_query(stmt)), False
    peek = stmt.with_only_columns(literal_column("1"), maintain_column_froms=True).order_by(None)
    if stmt._group_by_clauses or stmt._distinct:
        peek = stmt.order_by(None)
    found = session.scalar(select(func.count()).select_from(peek.limit(limit + 1).subquery()))
    return (limit, True) if found > limit else (found, False)


def count_query(stmt):
    """COUNT(*) of a list query: the same FROM and WHERE, without its columns or order.

    Counting over a subquery would make the database compute every selected
    column (correlated sums included) for every row; most lists need none.
    """
    if stmt._group_by_clauses or stmt._distinct or stmt._limit_clause is not None:
        return select(func.count()).select_from(stmt.order_by(None).subquery())
    return stmt.with_only_columns(func.count(), maintain_column_froms=True).order_by(None)


def _csv_cell(value) -> str:
    """A value as the plain CSV writes it: the same in every language."""
    return _csv_text(_plain(value), _is_quantity(value))


def _plain(value) -> str:
    from datetime import date, datetime

    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, TranslationString):
        return value.interpolate()  # the source words with their values, not the msgid's ${markers}
    return str(value)


def _is_quantity(value) -> bool:
    from decimal import Decimal

    return isinstance(value, (int, float, Decimal)) and not isinstance(value, bool)


def _csv_text(text: str, quantity: bool = False) -> str:
    # Spreadsheets run cells starting with = + - @ as formulas: defuse them (a negative amount stays a number).
    if quantity:
        return text
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
