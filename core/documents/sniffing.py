"""What an upload is (its type, read from its bytes) and what it may be called (safe file names)."""
from __future__ import annotations

import codecs
import re
import unicodedata
from urllib.parse import quote

from core.documents.limits import (
    CHUNK,
    OCTET_STREAM,
    SNIFF_BYTES,
    DocumentError,
    Limits,
    TooLarge,
    UnsupportedType,
    human_size,
)
from core.i18n import _

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
            raise DocumentError(_("The file is empty."), "file")
        content_type = self.settle()
        self._require_allowed(content_type)
        self.content_type = content_type

    def _require_allowed(self, content_type: str) -> None:
        if content_type not in self.limits.allowed_types:
            raise UnsupportedType(
                _("Files of type ${type} are not accepted. Allowed: ${allowed}.",
                  mapping={"type": content_type, "allowed": self.limits.describe_allowed()}), "file")


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


def _too_large_message(max_size: int):
    return _("The file is larger than the limit of ${size}.", mapping={"size": human_size(max_size)})
