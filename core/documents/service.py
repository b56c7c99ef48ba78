"""Service functions on documents and versions: they take a session and a store, raise domain errors."""
from __future__ import annotations

from typing import BinaryIO

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from core.audit import record_event
from core.documents.limits import DocumentError, Limits, VersionNotFound
from core.documents.sniffing import _Inspector, sanitize_filename
from core.documents.store import BlobStore
from core.i18n import _
from core.models.document import Document, DocumentLink, DocumentVersion

# -- services ----------------------------------------------------------------------

def upload(session, store: BlobStore, *, stream, filename: str | None, title: str | None = None,
           entity_type: str | None = None, entity_id=None, document_id=None, user_id: int | None = None,
           description: str | None = None, limits: Limits | None = None) -> DocumentVersion:
    """Store ``stream`` as a new document (linked to a record when given) or as the next
    version of ``document_id``. Refusals raise ``DocumentError`` and store nothing."""
    limits = limits or store.limits
    filename = sanitize_filename(filename)
    if (entity_type is None) != (entity_id is None):
        raise DocumentError(_("A record link needs both an entity type and an id."))
    document = None
    if document_id not in (None, ""):
        document = _live_document(session, document_id)
        if entity_type is not None and not _is_linked(document, entity_type, entity_id):
            raise DocumentError(_("That document is not attached to this record."), "document_id")
    else:
        title = (title or "").strip() or filename
        if len(title) > 200:
            raise DocumentError(_("The title is longer than 200 characters."), "title")

    inspector = _Inspector(stream, limits, filename)
    sha, size = store.put(inspector, max_size=limits.max_size, check=inspector.finish)

    if document is None:
        document = Document(title=title, description=description or "", created_by=user_id, current_version=0)
        session.add(document)
        if entity_type is not None:
            document.links.append(DocumentLink(entity_type=entity_type, entity_id=str(entity_id)))
        number = 1
    else:
        # Lock the document row only now (not during the write): concurrent new versions queue here.
        session.get(Document, document.id, with_for_update=True, populate_existing=True)
        number = (session.scalar(select(func.max(DocumentVersion.number))
                                 .where(DocumentVersion.document_id == document.id)) or 0) + 1
        if description is not None:
            document.description = description
    version = DocumentVersion(document=document, number=number, filename=filename,
                              content_type=inspector.content_type, size=size, sha256=sha, uploaded_by=user_id)
    session.add(version)
    document.current_version = number
    session.flush()
    record_event(session, "document_upload", "core.document", document.id, {
        "version": number, "filename": filename, "content_type": inspector.content_type, "size": size,
        "sha256": sha, "records": [f"{link.entity_type}:{link.entity_id}" for link in document.links],
    })
    return version


def _live_document(session, document_id) -> Document:
    try:
        ident = int(document_id)
    except (TypeError, ValueError):
        raise DocumentError(_("That document does not exist."), "document_id") from None
    document = session.get(Document, ident)
    if document is None or document.deleted:
        raise DocumentError(_("That document does not exist or was deleted."), "document_id")
    return document


def _is_linked(document: Document, entity_type: str, entity_id) -> bool:
    return any(link.entity_type == entity_type and link.entity_id == str(entity_id) for link in document.links)


def link_document(session, document: Document, entity_type: str, entity_id) -> DocumentLink | None:
    """Attach an existing document to one more record (no-op when already attached)."""
    if _is_linked(document, entity_type, entity_id):
        return None
    link = DocumentLink(entity_type=entity_type, entity_id=str(entity_id))
    document.links.append(link)
    session.flush()
    return link


def delete_document(session, document: Document) -> None:
    """Soft delete: the rows and blobs stay (they may be evidence); lists and panels hide it."""
    if document.deleted:
        raise DocumentError(_("This document is already deleted."))
    document.deleted = True
    session.flush()
    record_event(session, "document_delete", "core.document", document.id,
                 {"title": document.title, "versions": document.current_version})


def documents_for(session, entity_type: str, entity_id, *, include_deleted: bool = False) -> list[Document]:
    """The documents attached to one record, versions loaded."""
    stmt = (select(Document).join(DocumentLink)
            .where(DocumentLink.entity_type == entity_type, DocumentLink.entity_id == str(entity_id))
            .options(selectinload(Document.versions), selectinload(Document.links))
            .order_by(Document.title, Document.id))
    if not include_deleted:
        stmt = stmt.where(Document.deleted.is_(False))
    return list(session.scalars(stmt))


def get_version(session, document: Document, number) -> DocumentVersion:
    try:
        number = int(number)
    except (TypeError, ValueError):
        raise VersionNotFound(_("No such version.")) from None
    version = session.scalars(select(DocumentVersion).where(
        DocumentVersion.document_id == document.id, DocumentVersion.number == number)).first()
    if version is None:
        raise VersionNotFound(_("Document ${id} has no version ${number}.",
                                mapping={"id": document.id, "number": number}))
    return version


def open_version(session, store: BlobStore, document: Document, number) -> tuple[DocumentVersion, BinaryIO]:
    """A version and its open file; records the download (the caller streams the file)."""
    version = get_version(session, document, number)
    fh = store.open(version.sha256)
    record_event(session, "document_download", "core.document", document.id,
                 {"version": version.number, "filename": version.filename, "sha256": version.sha256})
    return version, fh
