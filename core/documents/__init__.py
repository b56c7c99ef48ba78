"""The document store: content-addressed blobs on disk, documents and versions in the database.

A blob is named by the SHA-256 of its bytes, so identical content is stored
once and every blob can be checked against its own name. The database says
which blobs matter: a blob that no version references is garbage once it is
older than a grace period (an upload writes its blob before its transaction
commits, so a young unreferenced blob may be about to be referenced).

Modules by layer, each usable on its own (this package re-exports their public names):

* ``limits``: settings, upload limits and the store's refusals (``DocumentError`` and kinds);
* ``sniffing``: the type of an upload from its bytes, and safe file names;
* ``store``: ``BlobStore`` / ``FilesystemBlobStore``, bytes in, SHA-256 out;
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
    SETTING_PATH, SETTING_MAX_SIZE, SETTING_ALLOWED, REGISTRY_KEY, DEFAULT_PATH, DEFAULT_MAX_SIZE,
    CHUNK, SNIFF_BYTES, VIEW_UNLINKED, MANAGE_UNLINKED, TYPE_NAMES, DEFAULT_ALLOWED_TYPES,
    OCTET_STREAM, DocumentError, TooLarge, UnsupportedType, VersionNotFound, BlobMissing, Limits,
    parse_allowed_types, limits_from_settings, human_size,
)
from core.documents.sniffing import (  # noqa: F401
    text_type, detect_content_type, MAX_FILENAME, sanitize_filename, content_disposition,
)
from core.documents.store import (  # noqa: F401
    BlobInfo, BlobStore, FilesystemBlobStore, store_from_settings, blob_store, includeme,
)
from core.documents.service import (  # noqa: F401
    upload, link_document, delete_document, documents_for, get_version, open_version,
)
from core.documents.maintenance import (  # noqa: F401
    BlobProblem, VerifyReport, referenced_blobs, verify, verify_blobs, GcReport, gc,
    collect_garbage, record_gc,
)
