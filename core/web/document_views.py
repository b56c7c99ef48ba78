"""Document screens: the staff list, a document's page, upload, download, delete.

Upload, download, delete and the document page are allowed or refused by the
record a document is attached to, which Pyramid's static ``permission=`` cannot
express. Those views declare ``PER_RECORD``, the gate every employee passes
(as the account pages do), and then call ``core.web.document_access.require_*``, which
decide by the record's own permissions and record rules.
"""
from __future__ import annotations

import logging
import os

from pyramid.httpexceptions import (
    HTTPBadRequest,
    HTTPFound,
    HTTPGone,
    HTTPNotFound,
    HTTPRequestEntityTooLarge,
    HTTPUnsupportedMediaType,
)
from pyramid.response import FileIter, Response
from pyramid.view import view_config
from sqlalchemy import exists, func, select
from sqlalchemy.orm import selectinload

from core import documents as docs
from core.entities import entity_types, record_url
from core.i18n import _, translate
from core.models.document import Document, DocumentLink, DocumentVersion
from core.models.user import User
from core.search import Field, Related, Search
from core.security import restricted_query
from core.web import document_access as access
from core.web.listing import Column, Filter, Listing, render_listing
from core.web.parsing import int_bound, parse_id, safe_path
from core.web.record import record_panels
from core.web.shell import flash

log = logging.getLogger(__name__)

PER_RECORD = "core.dashboard.view"  # the static gate; the linked record decides (see module doc)

_STATUS = {413: HTTPRequestEntityTooLarge, 415: HTTPUnsupportedMediaType, 404: HTTPNotFound}


#: A document by the words of its title, or a file name of one of its versions, see core.search.
DOCUMENTS = Search(Field(Document.title_key, "words"),
                   Related(Document.id, Search(Field(func.lower(DocumentVersion.filename), "substring")),
                           DocumentVersion.document_id))


def _http_error(exc: docs.DocumentError):
    return _STATUS.get(exc.status, HTTPBadRequest)(detail=translate(exc))


def _document_or_404(request, ident) -> Document:
    try:
        document = request.dbsession.get(Document, parse_id(ident, maximum=int_bound(Document.id)))
    except (TypeError, ValueError):  # InputError included: no such number, no such document
        document = None
    if document is None:
        raise HTTPNotFound()
    return document


def _safe_next(request) -> str | None:
    """Only a path on this site: never an open redirect."""
    return safe_path((request.POST.get("next") or "").strip(), None)


def _record_label(types, entity_type: str, entity_id: str) -> str:
    """``Loan 7`` in the user's language (the entity type's title is its plugin's TranslationString)."""
    et = types.get(entity_type)
    return translate(_("${record} ${id}", mapping={"record": translate(et.title) if et else entity_type,
                                                    "id": entity_id}))


# -- list --------------------------------------------------------------------------

@view_config(route_name="documents.list", renderer="core:web/templates/documents.pt",
             permission="core.document.view", request_method="GET")
def document_list(request):
    types = entity_types(request)
    stmt = access.visible_documents(request, restricted_query(request, Document)).options(
        selectinload(Document.versions), selectinload(Document.links))
    see_deleted = request.has_permission(docs.MANAGE_UNLINKED)  # only they can open a deleted document
    if request.params.get("deleted") != "yes" or not see_deleted:
        stmt = stmt.where(Document.deleted.is_(False))

    def linked_to(s, value):
        if value == "-":
            return s.where(~exists().where(DocumentLink.document_id == Document.id))
        return s.where(exists().where(DocumentLink.document_id == Document.id, DocumentLink.entity_type == value))

    def latest(attr):
        return lambda d: getattr(d.latest, attr) if d.latest else ""

    kinds = sorted(set(docs.blob_store(request).limits.allowed_types))
    listing = Listing(
        request, stmt,
        columns=[
            Column("id", "#", Document.id, link=lambda r, d: r.route_url("documents.document", id=d.id)),
            Column("title", _("Title"), Document.title, link=lambda r, d: r.route_url("documents.document", id=d.id),
                   wide=True),
            Column("current_version", _("Version"), Document.current_version, kind="number"),
            Column("filename", _("File"), value=latest("filename"), wide=True),
            Column("content_type", _("Type"), value=latest("content_type"), optional=True),
            Column("size", _("Size"), value=lambda d: d.latest.size if d.latest else None,
                   show=lambda h, size: h.file_size(size)),
            Column("records", _("Attached to"), value=lambda d: ", ".join(
                _record_label(types, link.entity_type, link.entity_id) for link in d.links) or "—", wide=True),
            Column("created_at", _("Created"), Document.created_at),
            Column("deleted", _("Deleted"), Document.deleted, optional=True),
        ],
        filters=[
            DOCUMENTS.filter(_("Search")),
            Filter("entity_type", _("Attached to"),
                   linked_to, (("-", _("nothing")),) + tuple((name, et.title) for name, et in sorted(types.items()))),
            Filter("content_type", _("Type"), lambda s, v: s.where(exists().where(
                DocumentVersion.document_id == Document.id, DocumentVersion.number == Document.current_version,
                DocumentVersion.content_type == v)), tuple((k, k) for k in kinds)),
        ] + ([
            # Deleted documents are left out above unless asked for; this keeps only them.
            Filter("deleted", _("Deleted"), lambda s, v: s.where(Document.deleted.is_(True)) if v == "yes" else s,
                   (("yes", _("deleted only")),)),
        ] if see_deleted else []),
        default_sort="-id", export_name="documents",
    )
    return render_listing(listing, title=_("Documents"))


# -- one document --------------------------------------------------------------------

@view_config(route_name="documents.document", renderer="core:web/templates/documents_detail.pt",
             permission=PER_RECORD, request_method="GET")
def document_page(request):
    document = _document_or_404(request, request.matchdict["id"])
    access.require_view(request, document)
    types = entity_types(request)
    uploader_ids = {v.uploaded_by for v in document.versions} | {document.created_by}
    users = {u.id: u.username for u in request.dbsession.scalars(
        select(User).where(User.id.in_([i for i in uploader_ids if i is not None])))}
    links = [{"label": _record_label(types, link.entity_type, link.entity_id),
              "url": record_url(request, link.entity_type, link.entity_id)} for link in document.links]
    can_edit = _can(request, access.require_edit, document)
    return {
        "title": document.title, "document": document, "links": links, "users": users,
        "versions": list(reversed(document.versions)), "can_edit": can_edit,
        "panels": record_panels(request, document, can_edit=False),
    }


def _can(request, check, document) -> bool:
    from pyramid.httpexceptions import HTTPForbidden

    try:
        check(request, document)
        return True
    except (HTTPForbidden, HTTPNotFound):
        return False


# -- upload ------------------------------------------------------------------------

@view_config(route_name="documents.upload", permission=PER_RECORD, request_method="POST")
def upload_view(request):
    post = request.POST
    field = post.get("file")
    entity_type = (post.get("entity_type") or "").strip() or None
    entity_id = (post.get("entity_id") or "").strip() or None
    document_id = (post.get("document_id") or "").strip() or None
    # The request's shape first (400), then who may do it (403/404).
    if (entity_type is None) != (entity_id is None):
        raise HTTPBadRequest(detail=_("Send both entity_type and entity_id, or neither."))
    if getattr(field, "file", None) is None:
        raise HTTPBadRequest(detail=_("Choose a file to upload."))

    if document_id is not None:
        document = _document_or_404(request, document_id)
        access.require_edit(request, document)
    elif entity_type is not None:
        access.require_record_edit(request, entity_type, entity_id)
    else:
        access.require_login(request)
        if not request.has_permission(docs.MANAGE_UNLINKED):
            raise access.denied(docs.MANAGE_UNLINKED)
    try:
        version = docs.upload(
            request.dbsession, docs.blob_store(request), stream=field.file, filename=field.filename,
            title=post.get("title"), entity_type=entity_type, entity_id=entity_id, document_id=document_id,
            user_id=request.user.id)
    except docs.DocumentError as exc:
        # Raised, not returned: the transaction aborts and the error page keeps the status code.
        raise _http_error(exc) from None
    flash(request, _("Uploaded “${title}”, version ${number} (${file}).",
                     mapping={"title": version.document.title, "number": version.number, "file": version.filename}))
    return HTTPFound(_safe_next(request) or request.route_url("documents.document", id=version.document_id))


# -- download ----------------------------------------------------------------------

@view_config(route_name="documents.download", permission=PER_RECORD, request_method="GET")
def download_view(request):
    document = _document_or_404(request, request.matchdict["id"])
    access.require_view(request, document)
    try:
        version, fh = docs.open_version(request.dbsession, docs.blob_store(request), document,
                                        request.matchdict["number"])
    except docs.VersionNotFound:
        raise HTTPNotFound() from None
    except docs.BlobMissing as exc:
        log.error("download of document %s: %s", document.id, exc)
        raise HTTPGone(detail=_("The file of this version is missing from the document store. "
                                "Tell an administrator (mutuo documents verify lists such problems).")) from None
    response = Response(app_iter=FileIter(fh), content_type=version.content_type)
    try:
        response.content_length = os.fstat(fh.fileno()).st_size
    except (AttributeError, OSError):
        pass
    response.headers["Content-Disposition"] = docs.content_disposition(version.filename)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


# -- delete ------------------------------------------------------------------------

@view_config(route_name="documents.delete", permission=PER_RECORD, request_method="POST")
def delete_view(request):
    document = _document_or_404(request, request.matchdict["id"])
    access.require_edit(request, document)
    docs.delete_document(request.dbsession, document)
    flash(request, _("Deleted “${title}”.", mapping={"title": document.title}))
    target = _safe_next(request)
    if target is None:
        target = request.route_url("documents.list" if request.has_permission(docs.VIEW_UNLINKED) else "home")
    return HTTPFound(target)


def includeme(config):
    config.include("core.documents")
    config.add_route("documents.list", "/documents")
    config.add_route("documents.upload", "/documents/upload")
    config.add_route("documents.document", r"/documents/{id:\d+}")
    config.add_route("documents.download", r"/documents/{id:\d+}/versions/{number:\d+}/download")
    config.add_route("documents.delete", r"/documents/{id:\d+}/delete")
    config.scan("core.web.document_views")
