"""Who may see or change a document: decided by the record it is attached to (web requests).

The document services (:mod:`core.documents`) take a session and a store and
know nothing of requests; these helpers take the request, because the answer
depends on the user's permissions and record rules. They raise HTTP answers
(403, 404, 400), which is why they live in ``core/web``.
"""
from __future__ import annotations

from types import SimpleNamespace

from pyramid.httpexceptions import HTTPBadRequest, HTTPForbidden, HTTPNotFound
from pyramid.security import Denied
from sqlalchemy import String, cast, exists, false, or_, select

from core.documents import MANAGE_UNLINKED, VIEW_UNLINKED, documents_for
from core.entities import entity_types
from core.errors import NotFound
from core.i18n import _
from core.models.document import Document, DocumentLink
from core.security import get_visible_or_404, restricted_query


def denied(permission: str | None):
    return HTTPForbidden(result=Denied(f"missing {permission}" if permission else "not allowed"))


def require_login(request) -> None:
    if request.user is None:
        raise denied(None)  # the forbidden view sends anonymous users to the login page


def _known_links(request, document: Document):
    types = entity_types(request)
    return [(types[link.entity_type], link) for link in document.links if link.entity_type in types]


def _check(request, document: Document, edit: bool) -> None:
    require_login(request)
    links = _known_links(request, document)
    if not links:
        # Unlinked (or linked only to records of a plugin no longer enabled): core's own permissions.
        permission = MANAGE_UNLINKED if edit else VIEW_UNLINKED
        if not request.has_permission(permission):
            raise denied(permission)
        return
    missing = None
    hidden = False
    for et, link in links:
        permission = et.edit_permission if edit else et.view_permission
        if not request.has_permission(permission):
            missing = missing or permission
            continue
        try:
            get_visible_or_404(request, et.model, link.entity_id)
            return
        except NotFound:
            hidden = True
    if hidden:
        raise HTTPNotFound()  # the record is outside the user's record rules: it does not exist for them
    raise denied(missing)


def require_view(request, document: Document) -> None:
    """View/download: the linked record's view permission and the record visible to the user."""
    if document.deleted and not request.has_permission(MANAGE_UNLINKED):
        raise HTTPNotFound()
    _check(request, document, edit=False)


def require_edit(request, document: Document) -> None:
    """New version or delete: the linked record's edit permission and the record visible."""
    if document.deleted:
        raise HTTPNotFound()
    _check(request, document, edit=True)


def require_record_edit(request, entity_type: str, entity_id):
    """Attaching a new document to a record: its edit permission; returns the record."""
    require_login(request)
    et = entity_types(request).get(entity_type)
    if et is None:
        raise HTTPBadRequest(detail=_("Documents cannot be attached to “${type}” records.", mapping={"type": entity_type}))
    if not request.has_permission(et.edit_permission):
        raise denied(et.edit_permission)
    return get_visible_or_404(request, et.model, entity_id)


def visible_documents(request, stmt=None):
    """Narrow a select of Document to what the user may see (one rule for lists and exports)."""
    stmt = select(Document) if stmt is None else stmt
    types = entity_types(request)
    visible = []
    if request.has_permission(VIEW_UNLINKED):
        visible.append(~exists().where(DocumentLink.document_id == Document.id,
                                       DocumentLink.entity_type.in_(list(types))))
    for name, et in types.items():
        if not request.has_permission(et.view_permission):
            continue
        pk = et.model.__mapper__.primary_key[0]
        ids = restricted_query(request, et.model).with_only_columns(cast(pk, String))
        visible.append(exists().where(DocumentLink.document_id == Document.id, DocumentLink.entity_type == name,
                                      DocumentLink.entity_id.in_(ids)))
    return stmt.where(or_(*visible) if visible else false())


def documents_panel(request, entity_type: str, entity_id, can_edit: bool | None = None) -> SimpleNamespace:
    """What a record page's documents panel shows; the page already checked the record is visible."""
    et = entity_types(request).get(entity_type)
    allowed = request.has_permission(et.edit_permission if et else MANAGE_UNLINKED)
    return SimpleNamespace(
        documents=documents_for(request.dbsession, entity_type, entity_id),
        can_edit=bool(allowed if can_edit is None else (can_edit and allowed)),
        entity_type=entity_type, entity_id=str(entity_id),
    )
