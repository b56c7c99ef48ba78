"""Search declared once per list: which columns, how each is matched, how the typed text is normalised.

A model keeps a normalised copy of what people search by (``search_key``): names folded (no case, no
accents: "Álvarez" is stored as ``alvarez``), ID numbers upper-cased without spaces and dashes, phones in
E.164 (``phonenumbers``, the company's region ``mutuo.phone_region``), e-mails lower-cased. The copy is
written by the ORM on every insert and update, and by the column default on Core inserts; a migration
backfills it and indexes it (a plain btree, ``text_pattern_ops`` on PostgreSQL for prefixes, plus a
trigram GIN index, ``pg_trgm``, for substrings). The query is normalised the same way before it is
compared, so both engines compare plain indexed text.

A list declares its search::

    CUSTOMERS = Search(
        Field(Customer.id_number_key, "exact", identifier),
        Field(Customer.phone_key, "exact", phone),
        Field(Customer.name_key, "words"),
    )
    Listing(..., filters=[CUSTOMERS.filter(), ...])      # the ``q`` box
    CUSTOMERS.match(select(Customer), "alv")              # lookups: narrowed, ranked among capped candidates

Kinds: ``exact`` (the whole normalised text), ``prefix``, ``substring``, ``words`` (every typed word is
found somewhere: "ana alv" finds "Ana Álvarez"; words with a digit are left to the identifier fields),
``number`` (an integer id typed in full, ``#12`` too).
``Related(fk, search, key)`` searches another table's columns (a loan by its borrower's name).
How a plugin declares its search, and what each part costs: docs/search.md.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import phonenumbers
from sqlalchemy import Boolean, Float, Integer, String, and_, event, false, func, literal, or_, select, union_all
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Mapper, mapped_column
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.expression import FunctionElement
from sqlalchemy.sql.visitors import InternalTraversal

#: The region phones without a country code are read in (ISO 3166 code), from ``mutuo.phone_region``.
DEFAULT_PHONE_REGION = "ES"
_settings = {"phone_region": DEFAULT_PHONE_REGION}

#: The longest text a search compares (longer input is cut: no index holds more).
MAX_QUERY = 200
_SPACES = re.compile(r"\s+")
_ID_JUNK = re.compile(r"[\s\-./]+")


def configure(settings: dict) -> None:
    """Read ``mutuo.phone_region`` (default ``ES``); called once when the platform starts."""
    region = (settings.get("mutuo.phone_region") or DEFAULT_PHONE_REGION).strip().upper()
    _settings["phone_region"] = region


# -- normalisers: the same function writes the stored key and reads the typed query ---------------

def fold(text: str | None) -> str:
    """Lower case without accents, single spaces: ``"  Ana  ÁLVAREZ "`` -> ``"ana alvarez"``."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _SPACES.sub(" ", bare.casefold()).strip()[:MAX_QUERY]


def identifier(text: str | None) -> str:
    """An ID or document number as it is stored: ``"12.345.678-z"`` -> ``"12345678Z"``."""
    if not text:
        return ""
    return _ID_JUNK.sub("", fold(text)).upper()[:MAX_QUERY]


def email(text: str | None) -> str:
    return (text or "").strip().lower()[:MAX_QUERY]


def phone(text: str | None, region: str | None = None) -> str:
    """A phone in E.164 (``"600 12 34 56"`` -> ``"+34600123456"`` in Spain); unreadable ones: their digits."""
    text = (text or "").strip()
    if not text:
        return ""
    try:
        number = phonenumbers.parse(text, region or _settings["phone_region"])
        if phonenumbers.is_possible_number(number):
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    except phonenumbers.NumberParseException:
        pass
    digits = re.sub(r"\D", "", text)
    return ("+" + digits if text.startswith("+") else digits)[:MAX_QUERY]


_PHONE_TYPED = re.compile(r"^\+?[\d\s().-]+$")


def phone_start(text: str | None, region: str | None = None) -> str:
    """The start of a phone as typed so far, in E.164 form to compare with a phone key's beginning:
    ``"611 22"`` -> ``"+3461122"`` in Spain; ``""`` unless ``text`` is only a phone's characters with at
    least three digits (so that a name or an ID number never matches every phone)."""
    text = (text or "").strip()
    digits = re.sub(r"\D", "", text)
    if not _PHONE_TYPED.match(text) or len(digits) < 3:
        return ""
    whole = phone(text, region)
    if whole.startswith("+") and len(whole) > 8:
        return whole
    if text.startswith("+"):
        return "+" + digits
    if digits.startswith("00"):
        return "+" + digits[2:]
    code = phonenumbers.country_code_for_region(region or _settings["phone_region"])
    return f"+{code}{digits}"


def number(text: str | None) -> int | None:
    """A record number typed in full (``12``, ``#12``), or None."""
    text = (text or "").strip().lstrip("#").strip()
    if text.isascii() and text.isdigit() and len(text) < 10:
        return int(text)
    return None


# -- normalised columns kept by the model -----------------------------------------------------------

def search_key(source: str, normalise: Callable[[str], str] = fold, length: int = 200):
    """A column holding ``normalise(<source column>)``, written on every insert and update.

    The ORM writes it before each flush (see ``_refresh_keys``); a Core ``insert()`` gets it from the
    column default. A Core ``update()`` of the source column must set the key too. Not audited: it is
    a copy of a column that is.
    """
    def default(context):
        return normalise(context.get_current_parameters().get(source) or "")

    return mapped_column(String(length), default=default, nullable=False, server_default="",
                         info={"search_key": (source, normalise)})


_KEYS: dict = {}  # mapper -> [(key, source, normaliser)]


def _keys_of(mapper) -> list[tuple[str, str, Callable]]:
    keys = _KEYS.get(mapper)
    if keys is None:
        keys = _KEYS[mapper] = [(attr.key, *attr.columns[0].info["search_key"]) for attr in mapper.column_attrs
                                if is_search_key(attr.columns[0])]
    return keys


@event.listens_for(Mapper, "before_insert")
@event.listens_for(Mapper, "before_update")
def _refresh_keys(mapper, _connection, target) -> None:
    for key, source, normalise in _keys_of(mapper):
        value = normalise(getattr(target, source, "") or "")
        if getattr(target, key, None) != value:
            setattr(target, key, value)


def is_search_key(column) -> bool:
    """Whether ``column`` is a :func:`search_key` (expressions, like a ``query_expression``, are not)."""
    try:
        return "search_key" in column.info
    except AttributeError:
        return False


# -- declaring a search -------------------------------------------------------------------------------

KINDS = ("exact", "prefix", "substring", "words", "number")
EXACT, PREFIX, OTHER = 0, 1, 2  # the ranks of a match, best first
#: How many rows ``Search.match`` ranks per kind of match (exact, each prefix, the rest): never every match.
CANDIDATES = 50


class likeness(FunctionElement):
    """SQL: how alike a key and the typed text are, higher is closer: ``similarity(key, text)`` on PostgreSQL
    (``pg_trgm``, created by core's migration c0008), minus the key's length elsewhere (the shorter of two
    keys holding the text is the closer)."""

    type = Float()
    inherit_cache = True
    name = "likeness"


@compiles(likeness)
def _likeness(element, compiler, **kw):
    key = list(element.clauses)[0]
    return f"(0 - length({compiler.process(key, **kw)}))"


@compiles(likeness, "postgresql")
def _similarity(element, compiler, **kw):
    return f"similarity({compiler.process(element.clauses, **kw)})"


class _any_of(ColumnElement):
    """SQL: ``column`` is one of ``keys`` (a select of one column): ``column = ANY(ARRAY(keys))`` on
    PostgreSQL (the keys read once, then an index condition, inside an OR too), ``column IN (keys)`` elsewhere."""

    type = Boolean()
    inherit_cache = True
    _traverse_internals = [("column", InternalTraversal.dp_clauseelement),
                           ("keys", InternalTraversal.dp_clauseelement)]

    def __init__(self, column, keys):
        self.column, self.keys = column.__clause_element__() if hasattr(column, "__clause_element__") else column, keys


@compiles(_any_of)
def _in_keys(element, compiler, **kw):
    return compiler.process(element.column.in_(element.keys), **kw)


@compiles(_any_of, "postgresql")
def _any_array(element, compiler, **kw):
    return f"{compiler.process(element.column, **kw)} = ANY(ARRAY({compiler.process(element.keys.scalar_subquery(), **kw)}))"


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


@dataclass(frozen=True)
class Field:
    """One searched column: ``column`` (a normalised key, or an integer id for ``number``), its ``kind``,
    and how the typed text is normalised to compare with it (default: ``fold``)."""

    column: Any
    kind: str = "words"
    normalise: Callable[[str], Any] | None = None

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"search kind {self.kind!r} is not one of {KINDS}")

    def value(self, q: str):
        if self.kind == "number":
            return number(q)
        return (self.normalise or fold)(q)

    def condition(self, q: str):
        """SQL: this field matches ``q``; None when ``q`` says nothing to this field."""
        value = self.value(q)
        if value in ("", None):
            return None
        if self.kind in ("exact", "number"):
            return self.column == value
        if self.kind == "prefix":
            return self.column.like(_like_escape(value) + "%", escape="\\")
        if self.kind == "substring":
            return self.column.like("%" + _like_escape(value) + "%", escape="\\")
        # Names hold no digits: a word with one is an ID number or a phone, for the other fields (and a
        # trigram index finds "00012345" slowly: every row has its "000").
        words = [word for word in value.split(" ") if not any(c.isdigit() for c in word)]
        if not words:
            return None
        return and_(*(self.column.like("%" + _like_escape(word) + "%", escape="\\") for word in words))

@dataclass(frozen=True)
class Related:
    """Search another table and keep the rows pointing at its matches: ``Related(Loan.customer_id,
    CUSTOMERS, Customer.id)`` finds loans by their borrower's name, ID number or phone."""

    fk: Any
    search: Search
    key: Any

    def condition(self, q: str, among_others: bool = False):
        """SQL: the rows pointing at a match of ``q``. ``among_others``: OR-ed with other fields' matches,
        where PostgreSQL cannot probe an index for ``fk IN (subquery)`` and scans every row; when ``q``
        names few records (only identifiers and numbers compared, no name) the list of their keys is
        read first (``fk = ANY(ARRAY(subquery))``, an index condition)."""
        where = self.search.condition(q)
        if where is None:
            return None
        keys = select(self.key).where(where)
        if among_others and all(rank != OTHER for rank, _where in self.search.candidates(q)):
            return _any_of(self.fk, keys)
        return self.fk.in_(keys)

    def exact(self, q: str):
        """SQL: the rows pointing at a record ``q`` names in full (its ID number, its number)."""
        where = self.search.exact_condition(q)
        return None if where is None else self.fk.in_(select(self.key).where(where))


@dataclass(frozen=True)
class Search:
    """A list's search: its fields, matched with OR. See the module's docstring."""

    fields: tuple = field(default=())

    def __init__(self, *fields):
        object.__setattr__(self, "fields", tuple(fields))

    def condition(self, q: str):
        """SQL: a row matches ``q`` in any field; ``false()`` when ``q`` matches nothing by any field."""
        q = (q or "").strip()[:MAX_QUERY]
        found = [(f, where) for f, where in ((f, f.condition(q)) for f in self.fields) if where is not None]
        if not found:
            return None if not q else false()
        if len(found) == 1:
            return found[0][1]
        return or_(*(f.condition(q, among_others=True) if isinstance(f, Related) else where for f, where in found))

    def apply(self, stmt, q: str):
        """``stmt`` narrowed to the rows matching ``q`` (the list's own order stays)."""
        where = self.condition(q)
        return stmt if where is None else stmt.where(where)

    @property
    def table(self):
        """The table this search narrows (its fields' own, or their foreign keys')."""
        first = self.fields[0]
        return (first.fk if isinstance(first, Related) else first.column).table

    def exact_condition(self, q: str):
        """SQL: ``q`` is a row's whole value in some field (an identifier, a number, a name typed in full)."""
        found = [where for rank, where in self.candidates(q) if rank == EXACT]
        return or_(*found) if found else None

    def candidates(self, q: str) -> list[tuple[int, Any]]:
        """``(rank, SQL)`` per field and kind of match, each served by one index: the whole value
        (``EXACT``), its start (``PREFIX``, a btree range), anywhere (``OTHER``, trigrams); the same
        column and value once."""
        q = (q or "").strip()[:MAX_QUERY]
        found, seen = [], set()

        def add(rank, key, where):
            if where is not None and key not in seen:
                seen.add(key)
                found.append((rank, where))

        for f in self.fields:
            if isinstance(f, Related):
                add(EXACT, (str(f.fk), "exact"), f.exact(q))
                add(OTHER, (str(f.fk), "any"), f.condition(q))
                continue
            value = f.value(q)
            if value in ("", None):
                continue
            add(EXACT, (str(f.column), "=", value), f.column == value)
            if f.kind not in ("exact", "number"):
                add(PREFIX, (str(f.column), "like", value), f.column.like(_like_escape(value) + "%", escape="\\"))
            if f.kind in ("substring", "words"):
                add(OTHER, (str(f.column), f.kind, value), f.condition(q))
        return found

    def match(self, stmt, q: str, candidates: int = CANDIDATES):
        """``stmt`` narrowed to ``q``'s matches and ordered best first (the lookups' contract).

        Only a capped candidate set is ranked, never every match (a short common prefix, "alv", matches
        a tenth of a book): up to ``candidates`` rows per field and kind of match (see
        :meth:`candidates`: each one index probe or range, and no OR across fields, which no index
        serves when one field is another table's), ordered by their best rank (exact, prefix, the
        rest), then by likeness to ``q`` of the first name-like field (``similarity`` on PostgreSQL,
        the shorter key elsewhere), then alphabetically by it. Callers may add orders
        (``.order_by(Loan.id.desc())``) and take ``.limit(n)`` (n <= ``candidates``; n itself where the
        search has no such field, see :attr:`ranks_by_name`).
        """
        q = (q or "").strip()[:MAX_QUERY]
        name = self._name_field()
        found = self.candidates(q)
        if not found:  # nothing typed (every row), or nothing this search can compare (no row)
            narrowed = stmt if not q else stmt.where(false())
            return narrowed.order_by(None).order_by(*([name.column] if name is not None else []))
        pk = next(iter(self.table.primary_key.columns))
        base = stmt.order_by(None).limit(None).with_only_columns(pk.label("pk"), maintain_column_froms=True)

        def tier(rank: int, where):
            capped = base.where(where).limit(candidates).subquery()
            return select(capped.c.pk, literal(rank, Integer()).label("rank"))

        union = union_all(*(tier(rank, where) for rank, where in found)).subquery()
        best = select(union.c.pk, func.min(union.c.rank).label("rank")).group_by(union.c.pk).subquery()
        order: list[Any] = [best.c.rank]
        if name is not None:
            order += [likeness(name.column, name.value(q)).desc(), name.column]
        return stmt.join(best, best.c.pk == pk).order_by(None).order_by(*order)

    @property
    def ranks_by_name(self) -> bool:
        """Whether matches of the same rank are ordered by a text field of this search's own table."""
        return self._name_field() is not None

    def _name_field(self):
        """The field results are ordered by among equals: the first words, substring, prefix, exact one."""
        fields = [f for f in self.fields if isinstance(f, Field) and f.kind != "number"]
        return next((f for kind in ("words", "substring", "prefix", "exact") for f in fields if f.kind == kind), None)

    def filter(self, title=None, key: str = "q"):
        """The list's search box as a :class:`core.web.listing.Filter` (``q`` by default)."""
        from core.i18n import _
        from core.web.listing import Filter

        return Filter(key, title if title is not None else _("Search"), self.apply)


# -- the global search box (hook mutuo_search) ---------------------------------------------------------

@dataclass(frozen=True)
class Hit:
    """One record found: its ``label`` (a name), ``url``, and a short ``detail`` (ID number, status…)."""

    label: str
    url: str
    detail: str = ""


@dataclass(frozen=True)
class Group:
    """One kind of record in the global search's answer (``title``: "Customers"), best first.

    ``more``: the list page showing every match (``…/customers?q=…``). ``jump``: the record's URL when
    the query names exactly one record in full (a loan number, an ID number): the search opens it.
    ``order`` places groups (lower first).
    """

    title: Any
    hits: list[Hit]
    more: str | None = None
    jump: str | None = None
    order: int = 100


def top(session, stmt, search: Search, q: str, limit: int = 5) -> list:
    """The ``limit`` best rows of ``stmt`` for ``q`` (``stmt`` already through the record rules), ranked
    among at most ``4 * limit`` candidates per kind of match (the global search asks every plugin at once);
    ``limit`` when the search has no text field of its own to rank them by (loans, cases: by number or
    by their customer), where more candidates would only be read to be dropped."""
    candidates = 4 * limit if search.ranks_by_name else limit
    result = session.execute(search.match(stmt, q, candidates=candidates).limit(limit))
    return list(result.scalars() if len(result.keys()) == 1 else result)


__all__ = ["Field", "Group", "Hit", "Related", "Search", "configure", "email", "fold", "identifier", "number",
           "phone", "phone_start", "search_key", "top"]


# -- indexes and migrations ------------------------------------------------------------------------------

def key_index(table: str, key: str):
    """The btree index of a search key: exact and prefix matches (``text_pattern_ops`` on PostgreSQL, so a
    ``LIKE 'abc%'`` uses it whatever the database's collation). Put it in the model's ``__table_args__``."""
    from sqlalchemy import Index

    return Index(f"ix_{table}_{key}", key, postgresql_ops={key: "text_pattern_ops"})


def trigram_index_name(table: str, key: str) -> str:
    return f"ix_{table}_{key}_trgm"


def is_database_only_index(name: str | None) -> bool:
    """Trigram indexes exist on PostgreSQL only (made by migrations, not the models): schema comparisons skip them."""
    return name is not None and name.endswith("_trgm")


def add_search_keys(op, table: str, keys: dict[str, tuple[str, Callable, int]], trigram: tuple[str, ...] = ()):
    """In a migration: add ``keys`` (``{key: (source column, normaliser, length)}``) to ``table``, fill them
    from the rows, index them (see :func:`key_index`) and, on PostgreSQL, add trigram GIN indexes on the
    ``trigram`` keys (substring and similarity searches; ``CREATE EXTENSION IF NOT EXISTS pg_trgm``)."""
    import sqlalchemy as sa

    with op.batch_alter_table(table) as batch:
        for key, (_source, _normalise, length) in keys.items():
            batch.add_column(sa.Column(key, sa.String(length), nullable=False, server_default=""))
    bind = op.get_bind()
    fill_search_keys(bind, table, keys)
    for key in keys:
        op.create_index(f"ix_{table}_{key}", table, [key], postgresql_ops={key: "text_pattern_ops"})
    if bind.dialect.name == "postgresql" and trigram:
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for key in trigram:
            op.execute(f"CREATE INDEX {trigram_index_name(table, key)} ON {table} USING gin ({key} gin_trgm_ops)")


def drop_search_keys(op, table: str, keys, trigram: tuple[str, ...] = ()):
    """The downgrade of :func:`add_search_keys`."""
    if op.get_bind().dialect.name == "postgresql":
        for key in trigram:
            op.execute(f"DROP INDEX IF EXISTS {trigram_index_name(table, key)}")
    for key in keys:
        op.drop_index(f"ix_{table}_{key}", table_name=table)
    with op.batch_alter_table(table) as batch:
        for key in keys:
            batch.drop_column(key)


def fill_search_keys(bind, table: str, keys: dict[str, tuple[str, Callable, int]], batch: int = 5000) -> None:
    """Recompute ``keys`` of every row of ``table`` from their source columns (by id, ``batch`` rows at a time)."""
    from sqlalchemy import text

    sources = sorted({source for source, _n, _l in keys.values()})
    sets = ", ".join(f"{key} = :{key}" for key in keys)
    last = 0
    while True:
        rows = bind.execute(text(f"SELECT id, {', '.join(sources)} FROM {table} WHERE id > :last ORDER BY id "
                                 f"LIMIT {batch}"), {"last": last}).mappings().all()
        if not rows:
            return
        bind.execute(text(f"UPDATE {table} SET {sets} WHERE id = :id"),
                     [{"id": row["id"], **{key: normalise(row[source] or "")
                                           for key, (source, normalise, _l) in keys.items()}} for row in rows])
        last = rows[-1]["id"]
