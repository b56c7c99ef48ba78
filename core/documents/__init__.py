"""The document store: content-addressed blobs on disk, documents and versions in the database.

A blob is named by the SHA-256 of its bytes, so identical content is stored
once and every blob can be checked against its own name. The database says
which blobs matter: a blob that no version references is garbage once it is
older than a grace period (an upload writes its blob before its transaction
commits, so a young unreferenced blob may be about to be referenced).

Modules by layer, each usable on its own (this package re-exports their public names):

* ``limits``: settings, upload limits and the store's refusals (``DocumentError`` and kinds);
* ``sniffing``: the type of an upload from its bytes, and safe file names;
* ``store``: ``BlobStore`` / ``FilesystemBlobStore`` / ``MemoryBlobStore``, bytes in, SHA-256 out;
  registered as the :class:`core.services.IBlobStore` service (``mutuo.documents.backend``);
* ``service``: functions taking a session and a store (``upload``, ``open_version``,
  ``delete_document``, ``documents_for``); they raise domain errors, never HTTP ones;
* ``maintenance``: ``verify`` and ``gc``, and core's jobs that run them (declared
  through ``core.hooks``, like a plugin's).

Deciding access from the linked record is the web's business: ``require_view``,
``require_edit``, ``visible_documents`` and ``documents_panel`` live in
:mod:`core.web.document_access`.
"""
from __future__ import annotations

from core.documents.limits import (  # noqa: F401
    CHUNK,
    DEFAULT_ALLOWED_TYPES,
    DEFAULT_MAX_SIZE,
    DEFAULT_PATH,
    MANAGE_UNLINKED,
    OCTET_STREAM,
    REGISTRY_KEY,
    SETTING_ALLOWED,
    SETTING_MAX_SIZE,
    SETTING_PATH,
    SNIFF_BYTES,
    TYPE_NAMES,
    VIEW_UNLINKED,
    BlobMissing,
    DocumentError,
    Limits,
    TooLarge,
    UnsupportedType,
    VersionNotFound,
    human_size,
    limits_from_settings,
    parse_allowed_types,
)
from core.documents.maintenance import (  # noqa: F401
    BlobProblem,
    GcReport,
    VerifyReport,
    collect_garbage,
    gc,
    record_gc,
    referenced_blobs,
    verify,
    verify_blobs,
)
from core.documents.service import (  # noqa: F401
    delete_document,
    documents_for,
    get_version,
    link_document,
    open_version,
    upload,
)
from core.documents.sniffing import (  # noqa: F401
    MAX_FILENAME,
    content_disposition,
    detect_content_type,
    sanitize_filename,
    text_type,
)
from core.documents.store import (  # noqa: F401
    BlobInfo,
    BlobStore,
    FilesystemBlobStore,
    MemoryBlobStore,
    blob_store,
    includeme,
    store_from_settings,
)
