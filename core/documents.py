"""The document store: content-addressed blobs on disk, documents and versions in the database.

A blob is named by the SHA-256 of its bytes, so identical content is stored
once and every blob can be checked against its own name. The database says
which blobs matter: a blob that no version references is garbage once it is
older than a grace period (an upload writes its blob before its transaction
commits, so a young unreferenced blob may be about to be referenced).

Three layers, usable on their own:

* ``BlobStore`` / ``FilesystemBlobStore``: bytes in, SHA-256 out;
* service functions taking a session and a store (``upload``, ``open_version``,
  ``delete_document``, ``documents_for``, ``verify``, ``gc``);
* request helpers deciding access from the linked record (``require_view``,
  ``require_edit``, ``visible_documents``, ``documents_panel``).
"""
from __future__ import annotations

import abc
import codecs
import hashlib
import os
import re
import tempfile
import time
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import BinaryIO, NamedTuple
from urllib.parse import quote

from sqlalchemy import String, cast, exists, false, func, or_, select
from sqlalchemy.orm import selectinload

from core.audit import record_event
from core.errors import UserError
from core.models.document import Document, DocumentLink, DocumentVersion

SETTING_PATH = "mutuo.documents.path"
SETTING_MAX_SIZE = "mutuo.documents.max_size"
SETTING_ALLOWED = "mutuo.documents.allowed_types"
REGISTRY_KEY = "mutuo.blobstore"

DEFAULT_PATH = "var/documents"
DEFAULT_MAX_SIZE = 25 * 1024 * 1024
CHUNK = 1024 * 1024  # bytes read and written at a time: memory stays flat whatever the upload size
SNIFF_BYTES = 64 * 1024  # office formats name their parts a few KB in; filetype alone reads 8 KB

VIEW_UNLINKED = "core.document.view"
MANAGE_UNLINKED = "core.document.manage"

# Names an admin may use in mutuo.documents.allowed_types (a full MIME type works too).
TYPE_NAMES = {
    "pdf": "application/pdf",
    "png": "image/png",
    "jpeg": "image/jpeg",
    "jpg": "image/jpeg",
    "gif": "image/gif",
    "webp": "image/webp",
    "txt": "text/plain",
    "csv": "text/csv",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "odt": "application/vnd.oasis.opendocument.text",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "zip": "application/zip",
}
DEFAULT_ALLOWED_TYPES = "pdf png jpeg gif webp txt csv docx xlsx odt ods zip"
OCTET_STREAM = "application/octet-stream"

_SHA = re.compile(r"[0-9a-f]{64}\Z")


# -- errors ----------------------------------------------------------------------

class DocumentError(UserError):
    """An upload or request the store refuses; ``status`` is the HTTP answer."""

    status = 400


class TooLarge(DocumentError):
    status = 413


class UnsupportedType(DocumentError):
    status = 415


class VersionNotFound(DocumentError):
    status = 404


class BlobMissing(Exception):
    """A version's bytes are not in the store: an integrity problem, not a user error."""

    def __init__(self, sha: str):
        super().__init__(f"blob {sha} is missing from the document store")
        self.sha = sha


# -- limits ----------------------------------------------------------------------

@dataclass(frozen=True)
class Limits:
    max_size: int = DEFAULT_MAX_SIZE
    allowed_types: frozenset = field(
        default_factory=lambda: frozenset(TYPE_NAMES[n] for n in DEFAULT_ALLOWED_TYPES.split()))

    def describe_allowed(self) -> str:
        names = {mime: name.upper() for name, mime in TYPE_NAMES.items() if name != "jpg"}
        return ", ".join(sorted(names.get(mime, mime) for mime in self.allowed_types))


def parse_allowed_types(value: str) -> frozenset:
    from core.config import ConfigError

    out = set()
    for token in re.split(r"[\s,]+", value.strip().lower()):
        if not token:
            continue
        if "/" in token:
            out.add(token)
        elif token in TYPE_NAMES:
            out.add(TYPE_NAMES[token])
        else:
            raise ConfigError(
                f"Setting {SETTING_ALLOWED} names unknown type '{token}'; use a MIME type "
                f"(application/pdf) or one of: {', '.join(sorted(TYPE_NAMES))}.")
    return frozenset(out)


def limits_from_settings(settings) -> Limits:
    from core.config import ConfigError

    raw = settings.get(SETTING_MAX_SIZE)
    try:
        max_size = int(raw) if raw not in (None, "") else DEFAULT_MAX_SIZE
    except (TypeError, ValueError):
        raise ConfigError(f"Setting {SETTING_MAX_SIZE} must be a whole number of bytes, not {raw!r}.") from None
    if max_size <= 0:
        raise ConfigError(f"Setting {SETTING_MAX_SIZE} must be positive.")
    allowed = settings.get(SETTING_ALLOWED)
    types = parse_allowed_types(allowed) if allowed else Limits().allowed_types
    return Limits(max_size=max_size, allowed_types=types)


def human_size(size: int) -> str:
    if size < 1024:
        return f"{size} bytes"
    value = Decimal(size)
    for unit in ("KB", "MB", "GB", "TB"):
        value /= 1024
        if value < 1024 or unit == "TB":
            text = f"{value.quantize(Decimal('0.1'), ROUND_HALF_UP)}".removesuffix(".0")
            return f"{text} {unit}"
    raise AssertionError("unreachable")


# -- the blob store ----------------------------------------------------------------

class BlobInfo(NamedTuple):
    sha: str
    mtime: float  # seconds since the epoch
    path: str


class BlobStore(abc.ABC):
    """Bytes named by their SHA-256. ``limits`` is the upload policy of this app."""

    limits: Limits = Limits()

    @abc.abstractmethod
    def put(self, stream, *, max_size: int | None = None, check: Callable[[], None] | None = None) -> tuple[str, int]:
        """Store everything ``stream.read()`` returns; ``(sha256, size)``.

        Raise ``TooLarge`` past ``max_size``. ``check()`` runs once every byte is
        read and before the blob becomes visible; if it raises, nothing is stored.
        """

    @abc.abstractmethod
    def open(self, sha: str) -> BinaryIO:
        """A binary file object; ``BlobMissing`` when absent."""

    @abc.abstractmethod
    def exists(self, sha: str) -> bool: ...

    @abc.abstractmethod
    def delete(self, sha: str) -> bool:
        """Remove a blob; False when it was not there."""

    @abc.abstractmethod
    def iter_blobs(self) -> Iterator[BlobInfo]: ...

    def purge_temp(self, older_than: float) -> int:
        """Remove leftovers of interrupted writes older than ``older_than`` (epoch seconds)."""
        return 0

    def hash_of(self, sha: str) -> str:
        """Re-hash a stored blob, streaming."""
        digest = hashlib.sha256()
        with self.open(sha) as fh:
            for chunk in iter(lambda: fh.read(CHUNK), b""):
                digest.update(chunk)
        return digest.hexdigest()


class FilesystemBlobStore(BlobStore):
    """Blobs under ``root/ab/cd/<sha>``, written to ``root/tmp`` then renamed into place.

    The temporary file lives under the same root so ``os.replace`` is an atomic
    rename on one filesystem: a reader (or a crash) sees the whole blob or none.
    """

    TMP = "tmp"

    def __init__(self, root, limits: Limits | None = None):
        self.root = Path(os.path.abspath(root))
        self.limits = limits or Limits()

    def __repr__(self):
        return f"FilesystemBlobStore({str(self.root)!r})"

    def path(self, sha: str) -> Path:
        if not isinstance(sha, str) or not _SHA.match(sha):
            raise ValueError(f"not a SHA-256 hex digest: {sha!r}")  # never let a name walk out of root
        return self.root / sha[:2] / sha[2:4] / sha

    def put(self, stream, *, max_size=None, check=None):
        tmp_dir = self.root / self.TMP
        tmp_dir.mkdir(parents=True, exist_ok=True)
        fd, tmp_path = tempfile.mkstemp(dir=tmp_dir, prefix="put-")
        try:
            digest = hashlib.sha256()
            size = 0
            with os.fdopen(fd, "wb") as out:
                while True:
                    chunk = stream.read(CHUNK)
                    if not chunk:
                        break
                    if not isinstance(chunk, (bytes, bytearray, memoryview)):
                        raise TypeError("blob streams must return bytes")
                    size += len(chunk)
                    if max_size is not None and size > max_size:
                        raise TooLarge(_too_large_message(max_size))
                    digest.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            if check is not None:
                check()
            sha = digest.hexdigest()
            final = self.path(sha)
            if self._reuse(final):
                os.unlink(tmp_path)
            else:
                self._makedirs(final.parent)
                os.replace(tmp_path, final)
                _fsync_dir(final.parent)
            return sha, size
        except BaseException:
            try:
                os.unlink(tmp_path)
            except FileNotFoundError:
                pass
            raise

    @staticmethod
    def _reuse(final: Path) -> bool:
        """Identical content is already stored: keep it, and restart its gc grace period
        (an old orphan is about to be referenced again by this upload)."""
        try:
            os.utime(final)
            return True
        except FileNotFoundError:
            return False

    def _makedirs(self, directory: Path) -> None:
        missing = []
        d = directory
        while not d.exists() and d != self.root:
            missing.append(d)
            d = d.parent
        directory.mkdir(parents=True, exist_ok=True)
        for d in missing:  # a new directory entry is durable once its parent is synced
            _fsync_dir(d.parent)

    def open(self, sha):
        try:
            return open(self.path(sha), "rb")
        except FileNotFoundError:
            raise BlobMissing(sha) from None

    def exists(self, sha):
        return self.path(sha).is_file()

    def delete(self, sha):
        try:
            os.unlink(self.path(sha))
            return True
        except FileNotFoundError:
            return False

    def mtime(self, sha) -> float | None:
        try:
            return os.stat(self.path(sha)).st_mtime
        except FileNotFoundError:
            return None

    def iter_blobs(self):
        for first in _scandir(self.root):
            if not first.is_dir() or len(first.name) != 2 or first.name == self.TMP:
                continue
            for second in _scandir(first.path):
                if not second.is_dir() or len(second.name) != 2:
                    continue
                for entry in _scandir(second.path):
                    name = entry.name
                    if not _SHA.match(name) or name[:2] != first.name or name[2:4] != second.name:
                        continue
                    try:
                        stat = entry.stat()
                    except FileNotFoundError:  # removed meanwhile (a concurrent gc)
                        continue
                    yield BlobInfo(name, stat.st_mtime, entry.path)

    def purge_temp(self, older_than):
        removed = 0
        for entry in _scandir(self.root / self.TMP):
            try:
                if entry.is_file() and entry.stat().st_mtime < older_than:
                    os.unlink(entry.path)
                    removed += 1
            except FileNotFoundError:
                continue
        return removed


def _scandir(path):
    try:
        with os.scandir(path) as it:
            yield from it
    except FileNotFoundError:
        return


def _fsync_dir(path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # not supported everywhere (Windows): the rename itself is still atomic
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def store_from_settings(settings) -> FilesystemBlobStore:
    return FilesystemBlobStore(settings.get(SETTING_PATH) or DEFAULT_PATH, limits_from_settings(settings))


def blob_store(obj) -> BlobStore:
    """The app's store from a request, a registry, or (CLI, scripts) plain settings."""
    registry = getattr(obj, "registry", obj)
    store = registry.get(REGISTRY_KEY) if hasattr(registry, "get") else None
    if store is not None:
        return store
    settings = getattr(registry, "settings", None)
    if settings is None:  # plain settings: build one, do not write into the caller's dict
        return store_from_settings(registry)
    store = registry[REGISTRY_KEY] = store_from_settings(settings)
    return store


def includeme(config):
    """One store per app, built (and its settings checked) at startup."""
    config.registry[REGISTRY_KEY] = store_from_settings(config.get_settings())


# -- content type and file names -------------------------------------------------

class _Inspector:
    """Wraps an upload stream: enforces the size limit and detects the type from the bytes
    while the store reads it, so a refused upload is stopped as early as possible."""

    def __init__(self, stream, limits: Limits, filename: str, early_refusal: bool = True):
        self.stream = stream
        self.early_refusal = early_refusal
        self.limits = limits
        self.filename = filename
        self.size = 0
        self.head = bytearray()
        self.sniffed = False
        self.detected: str | None = None  # what the magic bytes say
        self.is_text = True  # valid UTF-8 without NUL so far
        self._decoder = codecs.getincrementaldecoder("utf-8")()
        self.content_type: str | None = None

    def read(self, size=-1):
        chunk = self.stream.read(size)
        if not chunk:
            if not self.sniffed:
                self._sniff()
            return chunk
        self.size += len(chunk)
        if self.size > self.limits.max_size:
            raise TooLarge(_too_large_message(self.limits.max_size))
        if self.is_text:
            try:
                self._decoder.decode(bytes(chunk))
                if b"\x00" in chunk:
                    self.is_text = False
            except UnicodeDecodeError:
                self.is_text = False
        if not self.sniffed:
            self.head += chunk[: SNIFF_BYTES - len(self.head)]
            if len(self.head) >= SNIFF_BYTES:
                self._sniff()
        if self.early_refusal and self.sniffed and not self.is_text:
            # Binary now for sure: its final type is known, refuse before reading the rest.
            self._require_allowed(self.detected or OCTET_STREAM)
        return chunk

    def _sniff(self) -> None:
        import filetype

        self.sniffed = True
        kind = filetype.guess(bytes(self.head)) if self.head else None
        self.detected = kind.mime if kind else None

    def settle(self) -> str:
        """The type of everything read so far, preferring an allowed one."""
        if not self.sniffed:
            self._sniff()
        if self.is_text:
            try:
                self._decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                self.is_text = False
        if self.detected and self.detected in self.limits.allowed_types:
            return self.detected
        if self.is_text and self.size:
            # Short magic numbers ("MZ", "%!") also start plain text: valid UTF-8 is text.
            return text_type(self.filename)
        return self.detected or OCTET_STREAM

    def finish(self) -> None:
        """The whole upload was read: settle its type (called by the store before publishing)."""
        if self.size == 0:
            raise DocumentError("The file is empty.", "file")
        content_type = self.settle()
        self._require_allowed(content_type)
        self.content_type = content_type

    def _require_allowed(self, content_type: str) -> None:
        if content_type not in self.limits.allowed_types:
            raise UnsupportedType(
                f"Files of type {content_type} are not accepted. Allowed: {self.limits.describe_allowed()}.", "file")


def text_type(filename: str) -> str:
    """The bytes say text; the name says which text (only the harmless kinds)."""
    return "text/csv" if filename.lower().endswith(".csv") else "text/plain"


def detect_content_type(data: bytes, filename: str = "", limits: Limits | None = None) -> str:
    """The type ``upload`` would record for ``data`` (whether or not it is allowed)."""
    import io

    limits = limits or Limits()
    inspector = _Inspector(io.BytesIO(data), Limits(max_size=len(data) + 1, allowed_types=limits.allowed_types),
                           filename, early_refusal=False)
    while inspector.read(CHUNK):
        pass
    return inspector.settle()


_UNSAFE_CHARS = re.compile(r'[<>:"/\\|?*]')
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}
MAX_FILENAME = 200


def sanitize_filename(name: str | None, fallback: str = "file") -> str:
    """A name safe to show and to hand back in Content-Disposition on any OS."""
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1]  # browsers may send a full path
    name = unicodedata.normalize("NFC", name)
    # Category C: control characters and invisible formatting (bidi overrides hide extensions).
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = _UNSAFE_CHARS.sub("_", name)
    name = re.sub(r"\s+", " ", name).strip().lstrip(".").strip()
    if not name:
        name = fallback
    stem, dot, ext = name.rpartition(".")
    if (stem if dot else name).upper() in _RESERVED:
        name = "_" + name
    if len(name) > MAX_FILENAME:
        stem, dot, ext = name.rpartition(".")
        if dot and stem and 0 < len(ext) <= 16:
            name = stem[: MAX_FILENAME - len(ext) - 1].rstrip() + "." + ext
        else:
            name = name[:MAX_FILENAME]
    return name


def content_disposition(filename: str) -> str:
    """``attachment`` with an ASCII fallback and the exact UTF-8 name (RFC 6266)."""
    ascii_name = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode()
    ascii_name = re.sub(r"[^A-Za-z0-9._ ()+-]", "_", ascii_name).strip() or "download"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"


def _too_large_message(max_size: int) -> str:
    return f"The file is larger than the limit of {human_size(max_size)}."


# -- services ----------------------------------------------------------------------

def upload(session, store: BlobStore, *, stream, filename: str | None, title: str | None = None,
           entity_type: str | None = None, entity_id=None, document_id=None, user_id: int | None = None,
           description: str | None = None, limits: Limits | None = None) -> DocumentVersion:
    """Store ``stream`` as a new document (linked to a record when given) or as the next
    version of ``document_id``. Refusals raise ``DocumentError`` and store nothing."""
    limits = limits or store.limits
    filename = sanitize_filename(filename)
    if (entity_type is None) != (entity_id is None):
        raise DocumentError("A record link needs both an entity type and an id.")
    document = None
    if document_id not in (None, ""):
        document = _live_document(session, document_id)
        if entity_type is not None and not _is_linked(document, entity_type, entity_id):
            raise DocumentError("That document is not attached to this record.", "document_id")
    else:
        title = (title or "").strip() or filename
        if len(title) > 200:
            raise DocumentError("The title is longer than 200 characters.", "title")

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
        raise DocumentError("That document does not exist.", "document_id") from None
    document = session.get(Document, ident)
    if document is None or document.deleted:
        raise DocumentError("That document does not exist or was deleted.", "document_id")
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
        raise DocumentError("This document is already deleted.")
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
        raise VersionNotFound("No such version.") from None
    version = session.scalars(select(DocumentVersion).where(
        DocumentVersion.document_id == document.id, DocumentVersion.number == number)).first()
    if version is None:
        raise VersionNotFound(f"Document {document.id} has no version {number}.")
    return version


def open_version(session, store: BlobStore, document: Document, number) -> tuple[DocumentVersion, BinaryIO]:
    """A version and its open file; records the download (the caller streams the file)."""
    version = get_version(session, document, number)
    fh = store.open(version.sha256)
    record_event(session, "document_download", "core.document", document.id,
                 {"version": version.number, "filename": version.filename, "sha256": version.sha256})
    return version, fh


# -- maintenance -------------------------------------------------------------------

@dataclass
class BlobProblem:
    sha: str
    problem: str  # "missing" | "corrupt"
    versions: list  # [(document_id, number)] referencing it (first few)
    detail: str = ""

    def describe(self) -> str:
        refs = ", ".join(f"document {d} v{n}" for d, n in self.versions) or "no version"
        return f"{self.problem}: {self.sha} ({refs}){' — ' + self.detail if self.detail else ''}"


@dataclass
class VerifyReport:
    checked: int = 0
    referenced: int = 0
    missing: list = field(default_factory=list)
    corrupt: list = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.missing and not self.corrupt


def referenced_blobs(session, keep: int = 3) -> dict[str, list]:
    """sha256 -> the first ``keep`` (document_id, number) referencing it, for every version."""
    refs: dict[str, list] = {}
    stmt = (select(DocumentVersion.sha256, DocumentVersion.document_id, DocumentVersion.number)
            .order_by(DocumentVersion.id).execution_options(yield_per=5000))
    for sha, doc_id, number in session.execute(stmt):
        found = refs.setdefault(sha, [])
        if len(found) < keep:
            found.append((doc_id, number))
    return refs


def verify(session, store: BlobStore, progress: Callable[[int], None] | None = None) -> VerifyReport:
    """Re-hash every stored blob; report corrupt ones and referenced ones that are missing."""
    return verify_blobs(store, referenced_blobs(session), progress)


def verify_blobs(store: BlobStore, refs: dict[str, list], progress=None) -> VerifyReport:
    """``verify`` without a session: the CLI reads ``refs`` in a short transaction, then
    re-hashes for as long as it takes without holding the database."""
    report = VerifyReport(referenced=len(refs))
    seen = set()
    for info in store.iter_blobs():
        try:
            actual = store.hash_of(info.sha)
        except BlobMissing:  # removed meanwhile by gc: it was unreferenced then
            continue
        seen.add(info.sha)
        report.checked += 1
        if actual != info.sha:
            report.corrupt.append(BlobProblem(info.sha, "corrupt", refs.get(info.sha, []),
                                              f"content hashes to {actual}"))
        if progress:
            progress(1)
    for sha, versions in refs.items():
        if sha not in seen and not store.exists(sha):
            report.missing.append(BlobProblem(sha, "missing", versions))
    return report


@dataclass
class GcReport:
    removed: list = field(default_factory=list)
    freed: int = 0
    kept_recent: int = 0
    referenced: int = 0
    temp_removed: int = 0


def gc(session, store: BlobStore, grace: timedelta = timedelta(hours=24), *, now: float | None = None,
       dry_run: bool = False, progress: Callable[[int], None] | None = None) -> GcReport:
    """Remove blobs no version references that are older than ``grace``.

    The grace period protects uploads in flight: their blob is written (or an
    old identical blob touched) before their transaction commits.
    """
    referenced = set(session.scalars(select(DocumentVersion.sha256).distinct()))
    report = collect_garbage(store, referenced, grace, now=now, dry_run=dry_run, progress=progress)
    if not dry_run:
        record_gc(session, report, grace)
    return report


def collect_garbage(store: BlobStore, referenced: set, grace: timedelta = timedelta(hours=24), *,
                    now: float | None = None, dry_run: bool = False, progress=None) -> GcReport:
    """``gc`` without a session; ``referenced`` must be read before this starts."""
    if grace < timedelta(0):
        raise UserError("The grace period cannot be negative.")
    cutoff = (time.time() if now is None else now) - grace.total_seconds()
    report = GcReport(referenced=len(referenced))
    for info in store.iter_blobs():
        if progress:
            progress(1)
        if info.sha in referenced:
            continue
        mtime = store.mtime(info.sha) if hasattr(store, "mtime") else info.mtime  # re-read: it may just be touched
        if mtime is None:
            continue
        if mtime > cutoff:
            report.kept_recent += 1
            continue
        size = _size(info.path)
        if dry_run or store.delete(info.sha):
            report.removed.append(info.sha)
            report.freed += size
    if not dry_run:
        report.temp_removed = store.purge_temp(cutoff)
    return report


def record_gc(session, report: GcReport, grace: timedelta) -> None:
    if report.removed:
        record_event(session, "document_gc", "core.document", None,
                     {"removed": len(report.removed), "freed": report.freed,
                      "grace_seconds": int(grace.total_seconds())})


def _size(path) -> int:
    try:
        return os.stat(path).st_size
    except (OSError, TypeError):
        return 0


# -- access (web requests) -----------------------------------------------------------

def denied(permission: str | None):
    from pyramid.httpexceptions import HTTPForbidden
    from pyramid.security import Denied

    return HTTPForbidden(result=Denied(f"missing {permission}" if permission else "not allowed"))


def require_login(request) -> None:
    if request.user is None:
        raise denied(None)  # the forbidden view sends anonymous users to the login page


def _known_links(request, document: Document):
    from core.entities import entity_types

    types = entity_types(request)
    return [(types[link.entity_type], link) for link in document.links if link.entity_type in types]


def _check(request, document: Document, edit: bool) -> None:
    from pyramid.httpexceptions import HTTPNotFound

    from core.security import get_visible_or_404

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
        except HTTPNotFound:
            hidden = True
    if hidden:
        raise HTTPNotFound()  # the record is outside the user's record rules: it does not exist for them
    raise denied(missing)


def require_view(request, document: Document) -> None:
    """View/download: the linked record's view permission and the record visible to the user."""
    from pyramid.httpexceptions import HTTPNotFound

    if document.deleted and not request.has_permission(MANAGE_UNLINKED):
        raise HTTPNotFound()
    _check(request, document, edit=False)


def require_edit(request, document: Document) -> None:
    """New version or delete: the linked record's edit permission and the record visible."""
    from pyramid.httpexceptions import HTTPNotFound

    if document.deleted:
        raise HTTPNotFound()
    _check(request, document, edit=True)


def require_record_edit(request, entity_type: str, entity_id):
    """Attaching a new document to a record: its edit permission; returns the record."""
    from pyramid.httpexceptions import HTTPBadRequest

    from core.entities import entity_types
    from core.security import get_visible_or_404

    require_login(request)
    et = entity_types(request).get(entity_type)
    if et is None:
        raise HTTPBadRequest(detail=f"Documents cannot be attached to '{entity_type}' records.")
    if not request.has_permission(et.edit_permission):
        raise denied(et.edit_permission)
    return get_visible_or_404(request, et.model, entity_id)


def visible_documents(request, stmt=None):
    """Narrow a select of Document to what the user may see (one rule for lists and exports)."""
    from core.entities import entity_types
    from core.security import restricted_query

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
    from core.entities import entity_types

    et = entity_types(request).get(entity_type)
    allowed = request.has_permission(et.edit_permission if et else MANAGE_UNLINKED)
    return SimpleNamespace(
        documents=documents_for(request.dbsession, entity_type, entity_id),
        can_edit=bool(allowed if can_edit is None else (can_edit and allowed)),
        entity_type=entity_type, entity_id=str(entity_id),
    )
