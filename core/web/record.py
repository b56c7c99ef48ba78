"""What every record page shows besides its fields: history and documents panels.

History is read the user's way (the record panel and the audit log share :class:`HistoryReader`):
fields by their labels (core.entities.Field), values through the formatter (money, percentages,
days, moments to the minute), references as the referenced record's label linked to its page, as a
field / before / after diff. References are resolved once per entity type per page, through the
record rules: a record the rules hide is shown by its id; one the user may not open is not linked.
"""
from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from types import SimpleNamespace

from markupsafe import Markup, escape
from sqlalchemy import select

from core.audit import entity_type_of
from core.entities import Field, entity_fields, entity_types, humanise, record_url
from core.i18n import TranslationString, _
from core.models.audit import AuditEntry
from core.security import restricted_query

HISTORY_LIMIT = 50

#: The words of the diff's (visually hidden) header, for screen readers.
DIFF_WORDS = (_("Field"), _("Before"), _("After"))

#: The words of the fields of core's other audited records (their labels come from the columns: core.entities).
FIELD_WORDS = (_("Document"), _("Number"), _("Filename"), _("Content type"), _("Size"), _("Uploaded by"),
               _("Uploaded at"), _("Entity type"), _("Entity"), _("Created at"), _("Created by"), _("Note"))


@dataclass(frozen=True)
class Shown:
    """A value as history shows it: its text and, for a reference the user may open, the record's URL."""

    text: str
    url: str | None = None


@dataclass(frozen=True)
class Change:
    """One row of a diff: the field's label, its value before and after (None: no value)."""

    label: str
    before: Shown | None
    after: Shown | None


class Diff(str):
    """An entry's changes: as text (``Principal: 1,000.00 → 2,000.00``) for CSV and plain use, as a
    field / before / after table in a page (templates call ``__html__``)."""

    changes: list[Change]
    compare: bool
    header: tuple[str, str, str]

    def __new__(cls, changes: list[Change], compare: bool = True, header=("Field", "Before", "After")):
        text = "; ".join(f"{c.label}: " + " → ".join(v.text if v else "—" for v in (c.before, c.after)
                                                       if v is not None or compare) for c in changes)
        self = super().__new__(cls, text)
        self.changes, self.compare, self.header = changes, compare, header
        return self

    def __html__(self) -> str:
        if not self.changes:
            return ""
        field, before, after = (escape(w) for w in self.header)
        head = Markup('<thead class="visually-hidden"><tr><th scope="col">{}</th><th scope="col">{}</th>'
                      '<th scope="col">{}</th></tr></thead>').format(field, before, after)
        rows = []
        for c in self.changes:
            if self.compare:
                cells = Markup('<td class="diff-before">{}</td><td class="diff-after">{}</td>').format(
                    _cell(c.before), _cell(c.after))
            else:  # a new record (or a deleted one, or an event): one value per field
                cells = Markup('<td class="diff-after" colspan="2">{}</td>').format(_cell(c.after or c.before))
            rows.append(Markup('<tr><th scope="row" class="diff-field">{}</th>{}</tr>').format(c.label, cells))
        return Markup('<table class="history-diff">{}<tbody>{}</tbody></table>').format(head, Markup("").join(rows))


def _cell(value: Shown | None) -> Markup:
    """A value; a long one is cut to three lines by CSS (the record's page shows it whole)."""
    if value is None:
        return Markup('<span class="text-muted">—</span>')
    if value.url:
        return Markup('<a class="diff-value" href="{}">{}</a>').format(value.url, value.text)
    return Markup('<span class="diff-value">{}</span>').format(value.text)


class _Attributes(dict):
    """A record's attributes for an entity type's label (``"{code} {name}"``)."""

    def __init__(self, obj):
        super().__init__()
        self.obj = obj

    def __missing__(self, key):
        return getattr(self.obj, key)


class HistoryReader:
    """Audit entries the user's way, for one page: call :meth:`prepare` with the page's entries first."""

    def __init__(self, request):
        from core.web.helpers import for_request

        self.request = request
        self.h = for_request(request)
        self.types = entity_types(request)
        self.names: dict[tuple[str, str], Shown] = {}
        self.header = tuple(self.h.translate(w) for w in DIFF_WORDS)

    # -- references: one query per entity type per page ----------------------------------------
    def prepare(self, entries, records: bool = False) -> HistoryReader:
        """Resolve every reference the entries' changes hold (and, with ``records``, the entries' own
        records) to its label and URL."""
        wanted: dict[str, set] = defaultdict(set)
        for entry in entries:
            fields = entity_fields(self.request, entry.entity_type)
            for key, value in _load(entry.changes).items():
                f = fields.get(key)
                if f is None or f.kind != "reference" or not f.ref:
                    continue
                for v in (value if _is_pair(value) else [value]):
                    if v is not None and v != "***":
                        wanted[f.ref].add(str(v))
            if records and entry.entity_id:
                wanted[entry.entity_type].add(entry.entity_id)
        for entity_type, ids in wanted.items():
            self._resolve(entity_type, ids)
        return self

    def _resolve(self, entity_type: str, ids: set[str]) -> None:
        et = self.types.get(entity_type)
        if et is None:
            return
        # The label where record rules show the record (the page holding the reference shows it too:
        # a case its collector's name); the link only with the permission to open it.
        linked = self.request.has_permission(et.view_permission)
        mapper = et.model.__mapper__
        pk = mapper.primary_key[0]
        keys = {k for k in (_key(pk, i) for i in ids if (entity_type, i) not in self.names) if k is not None}
        if not keys:
            return
        for obj in self.request.dbsession.scalars(restricted_query(self.request, et.model, pk.in_(keys))):
            ident = mapper.primary_key_from_instance(obj)[0]
            self.names[(entity_type, str(ident))] = Shown(
                self.record_label(et, obj), record_url(self.request, entity_type, ident) if linked else None)

    def record_label(self, et, obj) -> str:
        """``obj`` by its entity type's label (``"{code} {name}"``), in the user's language."""
        pattern = self.h.translate(et.label) if isinstance(et.label, TranslationString) else str(et.label)
        try:
            return pattern.format_map(_Attributes(obj))
        except (AttributeError, KeyError, IndexError, ValueError):
            ident = obj.__mapper__.primary_key_from_instance(obj)[0]
            return f"{self.h.translate(et.title)} {ident}"

    def record(self, entity_type: str, entity_id) -> Shown | None:
        """An entry's record as its label and link (after ``prepare(..., records=True)``); None: not resolved."""
        return self.names.get((entity_type, str(entity_id)))

    # -- changes --------------------------------------------------------------------------------
    def diff(self, entry) -> Diff:
        """``entry``'s changes as a diff: fields in the model's order, labelled, formatted."""
        fields = entity_fields(self.request, entry.entity_type)
        domain = entry.entity_type.split(".", 1)[0]
        domain = "mutuo" if domain == "core" else domain
        order = {key: n for n, key in enumerate(fields)}
        data = _load(entry.changes)
        compare = entry.action not in ("insert", "delete") and any(_is_pair(v) for v in data.values())
        changes = []
        for key in sorted(data, key=lambda k: (order.get(k, len(order)), k)):
            value = data[key]
            f = fields.get(key) or Field(humanise(key))
            old, new = value if _is_pair(value) else (None, value)
            if not compare and (key == "id" or (new if new is not None else old) in (None, "")):
                continue  # a new or deleted record: its id is the entry's record, empty fields say nothing
            changes.append(Change(self.label(f, domain), self.show(f, old, domain), self.show(f, new, domain)))
        return Diff(changes, compare, self.header)

    def label(self, f: Field, domain: str) -> str:
        if isinstance(f.label, TranslationString):
            return self.h.translate(f.label)
        return self.words(f.label or "", domain)

    def words(self, code: str, domain: str) -> str:
        """A label or code in the entity's plugin's words, else any enabled plugin's (event data of a
        user written by collections), else as it is."""
        found = self.h.label(code, domain)
        return self.h.label(code) if found == str(code).replace("_", " ") else found

    def show(self, f: Field, value, domain: str) -> Shown | None:
        """One stored value (JSON: amounts and dates as text) written the user's way."""
        if value is None:
            return None
        if value == "***":
            return Shown("***")
        if f.kind == "reference" and f.ref:
            return self.names.get((f.ref, str(value))) or Shown(str(value))
        if isinstance(value, list):
            return Shown(", ".join(s.text for s in (self.show(f, v, domain) for v in value) if s))
        if isinstance(value, dict):
            return Shown(json.dumps(value, ensure_ascii=False, sort_keys=True))
        try:
            return Shown(self._format(f.kind, value, domain))
        except (ValueError, TypeError, ArithmeticError):
            return Shown(str(value))

    def _format(self, kind: str | None, value, domain: str) -> str:
        h = self.h
        if kind == "money":
            return h.money(Decimal(str(value)))
        if kind == "percent":
            rate = Decimal(str(value))
            places = -min(0, (rate * 100).normalize().as_tuple().exponent)  # type: ignore[operator]
            return h.percent(rate, max(2, min(4, places)))
        if kind == "number":
            return h.number(Decimal(str(value)) if isinstance(value, str) else value)
        if kind == "date":
            return h.date(date.fromisoformat(str(value)[:10]))
        if kind == "moment":
            return h.when(_moment(str(value)))
        if kind == "bool":
            return h.yes_no(value)
        if kind == "label" or (kind is None and isinstance(value, str) and _CODE.fullmatch(value)):
            return self.words(str(value), domain)
        if kind is None and isinstance(value, str):
            return _localised(value, h)
        if kind is None and isinstance(value, (int, float)) and not isinstance(value, bool):
            return h.number(value)
        return str(value)


def _load(changes: str) -> dict:
    try:
        data = json.loads(changes or "{}")
    except ValueError:
        return {"changes": changes}
    return data if isinstance(data, dict) else {"changes": data}


def _is_pair(value) -> bool:
    return isinstance(value, list) and len(value) == 2


def _key(pk, ident: str):
    """A stored id as the primary key's type; None when it cannot be one."""
    try:
        return int(ident) if pk.type.python_type is int else pk.type.python_type(ident)
    except (TypeError, ValueError, NotImplementedError):
        return None


def _moment(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


#: Values of fields no model describes (event data): amounts, days and moments written as text.
_CODE = re.compile(r"[a-z][a-z0-9_]*")  # a stored code (``pending``, ``equal_installment``): shown as words
_DECIMAL = re.compile(r"-?\d+\.\d+")
_DAY = re.compile(r"\d{4}-\d\d-\d\d")
_MOMENT = re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d(\.\d+)?)?([+-]\d\d:\d\d|Z)?")


def _localised(text: str, h) -> str:
    """An amount, a day or a moment stored as text, written the user's way; any other text as it is."""
    try:
        if _DECIMAL.fullmatch(text):
            places = len(text.split(".")[1])
            return h.money(Decimal(text), places) if places <= 6 else text
        if _DAY.fullmatch(text):
            return h.date(date.fromisoformat(text))
        if _MOMENT.fullmatch(text):
            return h.when(_moment(text))
    except (ValueError, InvalidOperation):
        pass
    return text


def history(request, entity_type: str, entity_id, limit: int = HISTORY_LIMIT) -> list[dict]:
    """The audit entries of one record, newest first: ``{"entry": AuditEntry, "changes": Diff}``."""
    rows = list(request.dbsession.scalars(
        select(AuditEntry).where(AuditEntry.entity_type == entity_type, AuditEntry.entity_id == str(entity_id))
        .order_by(AuditEntry.id.desc()).limit(limit)
    ))
    reader = HistoryReader(request).prepare(rows)
    return [{"entry": row, "changes": reader.diff(row)} for row in rows]


def history_item(request, at, actor, action: str, changes: list[tuple[str, str | None, str | None]]) -> dict:
    """An entry of a record's history that is not in the audit log (a plugin's own log), already in words:
    ``changes`` is ``[(label, before, after)]``; without any before, shown one value per field."""
    rows = [Change(label, Shown(before) if before is not None else None, Shown(after) if after is not None else None)
            for label, before, after in changes]
    header = tuple(HistoryReader(request).header)
    return {"entry": SimpleNamespace(at=at, actor=actor, action=action),
            "changes": Diff(rows, any(c.before is not None for c in rows), header)}


def record_panels(request, obj, *, can_edit: bool | None = None) -> SimpleNamespace:
    """Values for the history and documents panels of ``obj``'s page."""
    etype = entity_type_of(type(obj))
    pk = obj.__mapper__.primary_key_from_instance(obj)[0]
    panels = SimpleNamespace(entity_type=etype, entity_id=str(pk), history=history(request, etype, pk),
                             documents=None)
    from core.web.document_access import documents_panel

    panels.documents = documents_panel(request, etype, pk, can_edit=can_edit)
    return panels


__all__ = ["HistoryReader", "Diff", "Change", "Shown", "history", "history_item", "record_panels"]
