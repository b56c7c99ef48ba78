"""What every record page shows besides its fields: history and documents panels."""
from __future__ import annotations

import json
import re
from types import SimpleNamespace

from sqlalchemy import select

from core.audit import entity_type_of
from core.models.audit import AuditEntry

HISTORY_LIMIT = 50


def history(request, entity_type: str, entity_id, limit: int = HISTORY_LIMIT) -> list[dict]:
    """The audit entries of one record, newest first, readable in the user's language."""
    from core.web.helpers import for_request

    h = for_request(request)
    rows = request.dbsession.scalars(
        select(AuditEntry).where(AuditEntry.entity_type == entity_type, AuditEntry.entity_id == str(entity_id))
        .order_by(AuditEntry.id.desc()).limit(limit)
    )
    return [{"entry": row, "changes": _readable(row.changes, h)} for row in rows]


def _readable(changes: str, h=None) -> list[tuple[str, str]]:
    data = json.loads(changes or "{}")
    out = []
    for key, value in sorted(data.items()):
        if isinstance(value, list) and len(value) == 2:
            old, new = value
            out.append((key, f"{_show(old, h)} → {_show(new, h)}"))
        else:
            out.append((key, _show(value, h)))
    return out


#: Stored values the history panel writes the user's way: amounts (``10625.00``), days and moments (ISO).
_DECIMAL = re.compile(r"-?\d+\.\d+")
_DAY = re.compile(r"\d{4}-\d\d-\d\d")
_MOMENT = re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d(\.\d+)?)?([+-]\d\d:\d\d|Z)?")


def _show(value, h=None) -> str:
    if value is None:
        return "∅"
    if isinstance(value, list):
        return ", ".join(_show(v, h) for v in value)
    if h is not None and isinstance(value, str):
        return _localised(value, h)
    if h is not None and isinstance(value, float):
        return h.number(value)
    return str(value)


def _localised(text: str, h) -> str:
    """An amount, a day or a moment stored as text, written the user's way; any other text as it is."""
    from datetime import date, datetime
    from decimal import Decimal

    try:
        if _DECIMAL.fullmatch(text):
            places = len(text.split(".")[1])
            return h.money(Decimal(text), places) if places <= 6 else text
        if _DAY.fullmatch(text):
            return h.date(date.fromisoformat(text))
        if _MOMENT.fullmatch(text):
            return h.when(datetime.fromisoformat(text.replace("Z", "+00:00")))
    except (ValueError, ArithmeticError):
        pass
    return text


def record_panels(request, obj, *, can_edit: bool | None = None) -> SimpleNamespace:
    """Values for the history and documents panels of ``obj``'s page."""
    etype = entity_type_of(type(obj))
    pk = obj.__mapper__.primary_key_from_instance(obj)[0]
    panels = SimpleNamespace(entity_type=etype, entity_id=str(pk), history=history(request, etype, pk),
                             documents=None)
    from core.web.document_access import documents_panel

    panels.documents = documents_panel(request, etype, pk, can_edit=can_edit)
    return panels
