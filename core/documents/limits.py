"""Upload limits from settings, the type names the settings use, and the store's refusals."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from core.errors import UserError

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
    from core.config import _
    from core.errors import ConfigError

    out = set()
    for token in re.split(r"[\s,]+", value.strip().lower()):
        if not token:
            continue
        if "/" in token:
            out.add(token)
        elif token in TYPE_NAMES:
            out.add(TYPE_NAMES[token])
        else:
            raise ConfigError(_("Setting ${key} names unknown type '${token}'; use a MIME type "
                                "(application/pdf) or one of: ${names}.",
                                mapping={"key": SETTING_ALLOWED, "token": token,
                                         "names": ", ".join(sorted(TYPE_NAMES))}))
    return frozenset(out)


def limits_from_settings(settings) -> Limits:
    from core.config import _
    from core.errors import ConfigError

    raw = settings.get(SETTING_MAX_SIZE)
    try:
        max_size = int(raw) if raw not in (None, "") else DEFAULT_MAX_SIZE
    except (TypeError, ValueError):
        raise ConfigError(_("Setting ${key} must be a whole number of bytes, not ${value}.",
                            mapping={"key": SETTING_MAX_SIZE, "value": repr(raw)})) from None
    if max_size <= 0:
        raise ConfigError(_("Setting ${key} must be positive.", mapping={"key": SETTING_MAX_SIZE}))
    allowed = settings.get(SETTING_ALLOWED)
    types = parse_allowed_types(allowed) if allowed else Limits().allowed_types
    return Limits(max_size=max_size, allowed_types=types)


def human_size(size: int) -> str:
    """``1.5 MB`` in the language being served (``1,5 MB`` in Spanish)."""
    from core.formatting import current
    from core.i18n import _n

    if size < 1024:
        return _n("${n} byte", "${n} bytes", size)
    value = Decimal(size)
    for unit in ("KB", "MB", "GB", "TB"):
        value /= 1024
        if value < 1024 or unit == "TB":
            shown = value.quantize(Decimal("0.1"), ROUND_HALF_UP)
            if shown == shown.to_integral_value():
                shown = shown.quantize(Decimal(1))
            return f"{current().number(shown)} {unit}"
    raise AssertionError("unreachable")
