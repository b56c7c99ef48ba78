"""The blob store: bytes named by their SHA-256, on disk; one store per app, built at startup."""
from __future__ import annotations

import abc
import hashlib
import io
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO, NamedTuple

from zope.interface import implementer

from core.documents.limits import (
    _SHA,
    CHUNK,
    DEFAULT_PATH,
    SETTING_PATH,
    BlobMissing,
    Limits,
    TooLarge,
    limits_from_settings,
)
from core.documents.sniffing import _too_large_message
from core.interfaces import IBlobStore
from core.services import choose_backend, find_in_registry, find_service, has_service

# -- the blob store ----------------------------------------------------------------


class CheckedReader:
    """Iterate a stream's chunks, hashing and counting them, refusing non-bytes and more than ``max_size``."""

    def __init__(self, stream, max_size: int | None = None):
        self.stream, self.max_size = stream, max_size
        self.digest = hashlib.sha256()
        self.size = 0

    def __iter__(self):
        while True:
            chunk = self.stream.read(CHUNK)
            if not chunk:
                return
            if not isinstance(chunk, (bytes, bytearray, memoryview)):
                raise TypeError("blob streams must return bytes")
            self.size += len(chunk)
            if self.max_size is not None and self.size > self.max_size:
                raise TooLarge(_too_large_message(self.max_size))
            self.digest.update(chunk)
            yield chunk

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


@implementer(IBlobStore)
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
            reader = CheckedReader(stream, max_size)
            with os.fdopen(fd, "wb") as out:
                for chunk in reader:
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            if check is not None:
                check()
            sha, size = reader.digest.hexdigest(), reader.size
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


@implementer(IBlobStore)
class MemoryBlobStore(BlobStore):
    """Blobs in a dict, for tests (``mutuo.documents.backend = memory``); same contract as the filesystem's."""

    def __init__(self, limits: Limits | None = None):
        self.limits = limits or Limits()
        self.blobs: dict[str, tuple[bytes, float]] = {}

    def __repr__(self):
        return f"MemoryBlobStore({len(self.blobs)} blobs)"

    def put(self, stream, *, max_size=None, check=None):
        reader = CheckedReader(stream, max_size)
        data = b"".join(bytes(chunk) for chunk in reader)
        if check is not None:
            check()
        sha = reader.digest.hexdigest()
        self.blobs[sha] = (data, time.time())
        return sha, reader.size

    def open(self, sha):
        try:
            return io.BytesIO(self.blobs[sha][0])
        except KeyError:
            raise BlobMissing(sha) from None

    def exists(self, sha):
        return sha in self.blobs

    def delete(self, sha):
        return self.blobs.pop(sha, None) is not None

    def iter_blobs(self):
        for sha, (_data, mtime) in list(self.blobs.items()):
            yield BlobInfo(sha, mtime, f"memory:{sha}")


SETTING_BACKEND = "mutuo.documents.backend"
BACKENDS: dict[str, Callable[[dict], BlobStore]] = {
    "filesystem": lambda settings: FilesystemBlobStore(settings.get(SETTING_PATH) or DEFAULT_PATH,
                                                       limits_from_settings(settings)),
    "memory": lambda settings: MemoryBlobStore(limits_from_settings(settings)),
}


def store_from_settings(settings) -> BlobStore:
    """A new store of the backend ``mutuo.documents.backend`` names (``filesystem``, the default, or ``memory``)."""
    return choose_backend(settings, SETTING_BACKEND, BACKENDS, "filesystem")(settings)


def blob_store(obj) -> BlobStore:
    """The app's store (the :class:`core.services.IBlobStore` service).

    From a request (``request.find_service``), a session made by the platform, or a registry
    holding the services; plain settings (scripts) build a new store from them.
    """
    if hasattr(obj, "find_service") or hasattr(obj, "info"):
        return find_service(obj, IBlobStore)
    registry = getattr(obj, "registry", obj)
    if has_service(registry, IBlobStore):
        return find_in_registry(registry, IBlobStore)
    settings = getattr(registry, "settings", None)
    return store_from_settings(registry if settings is None else settings)


def includeme(config):
    """One store per app, built (and its settings checked) at startup, registered as ``IBlobStore``."""
    config.register_service(store_from_settings(config.get_settings()), IBlobStore)
