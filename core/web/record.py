"""What every record page shows besides its fields: history and documents panels."""
from __future__ import annotations

import json
from types import SimpleNamespace

from sqlalchemy import select

from core.audit import entity_type_of
from core.models.audit import AuditEntry

HISTORY_LIMIT = 50


def history(request, entity_type: str, entity_id, limit: int = HISTORY_LIMIT) -> list[dict]:
    """The audit entries of one record, newest first, readable."""
    rows = request.dbsession.scalars(
        select(AuditEntry).where(AuditEntry.entity_type == entity_type, AuditEntry.entity_id == str(entity_id))
        .order_by(AuditEntry.id.desc()).limit(limit)
    )
    return [{"entry": row, "changes": _readable(row.changes)} for row in rows]


def _readable(changes: str) -> list[tuple[str, str]]:
    data = json.loads(changes or "{}")
    out = []
    for key, value in sorted(data.items()):
        if isinstance(value, list) and len(value) == 2:
            old, new = value
            out.append((key, f"{_show(old)} → {_show(new)}"))
        else:
            out.append((key, _show(value)))
    return out


def _show(value) -> str:
    if value is None:
        return "∅"
    if isinstance(value, list):
        return ", ".join(_show(v) for v in value)
    return str(value)


def record_panels(request, obj, *, can_edit: bool | None = None) -> SimpleNamespace:
    """Values for the history and documents panels of ``obj``'s page."""
    etype = entity_type_of(type(obj))
    pk = obj.__mapper__.primary_key_from_instance(obj)[0]
    panels = SimpleNamespace(entity_type=etype, entity_id=str(pk), history=history(request, etype, pk),
                             documents=None)
    from core.web.document_access import documents_panel

    panels.documents = documents_panel(request, etype, pk, can_edit=can_edit)
    return panels
