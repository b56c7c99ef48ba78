"""``mutuo documents verify`` and ``mutuo documents gc``."""
from __future__ import annotations

import click

from core.cli import fail, main, pass_env, say, say_text
from core.i18n import _, _n


@main.group()
def documents():
    """The document store."""


def _progress(description: str, total: int | None):
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    # stderr: the report on stdout stays clean for scripts; transient: the bar vanishes when done.
    progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                        console=Console(stderr=True), transient=True)
    task = progress.add_task(description, total=total)
    return progress, (lambda n=1: progress.advance(task, n))


@documents.command("verify")
@pass_env
def documents_verify(env):
    """Re-hash every blob; report missing and corrupt ones (exit 1 when any)."""
    from core.documents import blob_store, referenced_blobs, verify_blobs

    store = blob_store(env.registry)  # the IBlobStore service, as the app and the jobs find it
    # Read the references in a short transaction: re-hashing may take long, the database stays free.
    with env.session_factory() as session:
        refs = referenced_blobs(session)
    total = sum(1 for _ in store.iter_blobs())
    progress, advance = _progress(say_text(_("Re-hashing blobs")), total)
    with progress:
        report = verify_blobs(store, refs, progress=advance)
    for problem in report.missing + report.corrupt:
        click.echo(problem.describe())
    values = {"store": repr(store), "referenced": report.referenced, "missing": len(report.missing),
              "corrupt": len(report.corrupt)}
    if not report.ok:
        fail(_n("${n} blob re-hashed in ${store}; ${referenced} referenced by versions; "
                "${missing} missing, ${corrupt} corrupt",
                "${n} blobs re-hashed in ${store}; ${referenced} referenced by versions; "
                "${missing} missing, ${corrupt} corrupt", report.checked, mapping=values), 1)
    say(_n("${n} blob re-hashed in ${store}; ${referenced} referenced by versions; "
           "${missing} missing, ${corrupt} corrupt: all blobs intact",
           "${n} blobs re-hashed in ${store}; ${referenced} referenced by versions; "
           "${missing} missing, ${corrupt} corrupt: all blobs intact", report.checked, mapping=values))


@documents.command("gc")
@click.option("--grace-hours", default=24, show_default=True, type=click.IntRange(min=0),
              help="Keep unreferenced blobs younger than this (uploads in flight are not yet referenced).")
@click.option("--dry-run", is_flag=True, help="List what would be removed; remove nothing.")
@pass_env
def documents_gc(env, grace_hours, dry_run):
    """Remove blobs that no document version references and that are older than the grace period."""
    from datetime import timedelta

    from sqlalchemy import select

    from core.documents import blob_store, collect_garbage, human_size, record_gc
    from core.models.document import DocumentVersion

    store = blob_store(env.registry)  # the IBlobStore service, as the app and the jobs find it
    grace = timedelta(hours=grace_hours)
    # References first, in a short transaction; the grace period covers uploads committed meanwhile.
    with env.session_factory() as session:
        referenced = set(session.scalars(select(DocumentVersion.sha256).distinct()))
    total = sum(1 for _ in store.iter_blobs())
    progress, advance = _progress(say_text(_("Scanning blobs")), total)
    with progress:
        report = collect_garbage(store, referenced, grace, dry_run=dry_run, progress=advance)
    if not dry_run and report.removed:
        env.transaction("documents gc", lambda s: record_gc(s, report, grace))
    if dry_run:
        for sha in report.removed:
            say(_("would remove ${sha}", mapping={"sha": sha}))
    values = {"size": human_size(report.freed), "kept": report.kept_recent, "hours": grace_hours,
              "referenced": report.referenced}
    if dry_run:
        say(_n("Would remove ${n} unreferenced blob (${size}); kept ${kept} younger than ${hours} h; "
               "${referenced} referenced",
               "Would remove ${n} unreferenced blobs (${size}); kept ${kept} younger than ${hours} h; "
               "${referenced} referenced", len(report.removed), mapping=values))
    else:
        say(_n("Removed ${n} unreferenced blob (${size}); kept ${kept} younger than ${hours} h; "
               "${referenced} referenced",
               "Removed ${n} unreferenced blobs (${size}); kept ${kept} younger than ${hours} h; "
               "${referenced} referenced", len(report.removed), mapping=values))
    if report.temp_removed:
        say(_n("${n} stale temporary file removed", "${n} stale temporary files removed", report.temp_removed))
