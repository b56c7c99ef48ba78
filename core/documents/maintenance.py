"""Keeping the store honest: verify that every referenced blob is there and intact; collect garbage."""
from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import select

from core.audit import record_event
from core.documents.limits import BlobMissing, human_size
from core.documents.store import BlobStore, blob_store
from core.errors import JobFailed, UserError
from core.formatting import current
from core.i18n import _, _n
from core.models.document import DocumentVersion

log = logging.getLogger(__name__)

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
        raise UserError(_("The grace period cannot be negative."))
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


# -- core's jobs (declared in core.hooks, as a plugin declares its own) ------------------

def documents_gc(request) -> str:
    """Remove stored files no document version refers to (older than the grace period)."""
    hours = int(request.registry.settings.get("mutuo.documents.gc_grace_hours") or 24)
    report = gc(request.dbsession, blob_store(request), timedelta(hours=hours))
    number = current().number
    return _n("${n} unreferenced file removed (${size} freed), ${kept} kept within the ${hours} h grace period, "
              "${referenced} referenced",
              "${n} unreferenced files removed (${size} freed), ${kept} kept within the ${hours} h grace period, "
              "${referenced} referenced", len(report.removed),
              mapping={"size": human_size(report.freed), "kept": number(report.kept_recent), "hours": number(hours),
                       "referenced": number(report.referenced)})


def documents_verify(request) -> str:
    """Re-hash every stored file; a missing or altered file fails the run."""
    report = verify(request.dbsession, blob_store(request))
    if not report.ok:
        problems = [*report.missing, *report.corrupt]
        for problem in problems:
            log.error("document store: %s", problem.describe())
        shown = "; ".join(p.describe() for p in problems[:5]) + ("; …" if len(problems) > 5 else "")
        number = current().number
        raise JobFailed(_n("${missing} missing and ${corrupt} corrupt of ${n} file checked: ${shown}",
                           "${missing} missing and ${corrupt} corrupt of ${n} files checked: ${shown}",
                           report.checked, mapping={"missing": number(len(report.missing)),
                                                    "corrupt": number(len(report.corrupt)), "shown": shown}))
    return _n("${n} file checked (${referenced} referenced): all intact",
              "${n} files checked (${referenced} referenced): all intact", report.checked,
              mapping={"referenced": current().number(report.referenced)})
