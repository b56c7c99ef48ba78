"""Chunked jobs: a run whose work is split into chunks that any worker runs, each once.

A job declared with ``chunk=`` (and ``finish=``) returns :class:`FanOut` from
its task: the arguments of every chunk (an id range, a list of ids), JSON.
Then, per run:

1. **plan** — the task runs as usual (its own transaction, after the slot was
   claimed) and its chunks are written to ``core_job_chunk`` in that very
   transaction, with ``core_job_run.chunks_pending`` = their number. The plan
   and the parent's own writes (e.g. claiming a business date) commit together;
2. **chunks** — each chunk runs ``spec.chunk(request, args)`` in its own
   request and transaction, which also marks its row ``done``
   (``UPDATE … WHERE status = 'pending'``): a redelivered or concurrent copy
   of a chunk waits for the row lock, finds it done and does nothing. So a
   retried chunk never applies twice, whatever the broker does. A chunk that
   raises is rolled back and recorded ``failed``;
3. **finish** — the transaction that takes ``chunks_pending`` to 0 (a row
   lock on the run serialises the count) names the last chunk; that process
   then calls ``spec.finish(request, chunks)`` with every chunk's args and
   result, in one more transaction, and records the run's end and summary.
   If any chunk failed the run is ``failed`` and ``finish`` is not called.

Where chunks run is a setting, not code: ``mutuo.jobs.chunks = inline``
(default: in the process that planned them, one after the other — the
embedded SQLite set-up) or ``celery`` (one ``core.run_chunk`` message each, so
every worker takes some). The code path is the same either way.

This module holds what a job uses to plan (``FanOut``, ``id_ranges``,
``in_range``, ``chunk_size``) and the chunk table's bookkeeping; running a
chunk and ending the run live in :mod:`core.jobs.execution` with the rest of
running jobs (``execute_chunk``, ``finish_run``, ``dispatch``).
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field

from sqlalchemy import and_, func, select, true, update

log = logging.getLogger(__name__)

MODES = ("inline", "celery")


@dataclass
class FanOut:
    """What a chunked job's task returns: one JSON-able dict of arguments per chunk, in order."""

    chunks: list[dict] = field(default_factory=list)


@dataclass
class Chunk:
    """A finished chunk as ``finish`` sees it."""

    seq: int
    args: dict
    result: dict


def chunk_mode(settings) -> str:
    mode = str((settings or {}).get("mutuo.jobs.chunks") or "inline").strip().lower()
    if mode not in MODES:
        raise ValueError(f"mutuo.jobs.chunks must be one of {', '.join(MODES)}, not {mode!r}")
    return mode


def chunk_size(settings, name: str, default: int) -> int:
    """``mutuo.jobs.chunk_size.<job>`` else ``mutuo.jobs.chunk_size`` else ``default`` (rows per chunk)."""
    settings = settings or {}
    value = settings.get(f"mutuo.jobs.chunk_size.{name}") or settings.get("mutuo.jobs.chunk_size")
    return max(1, int(value)) if value else default


def id_ranges(session, column, *where, size: int) -> list[dict]:
    """Chunks of about ``size`` rows each as ``{"lo": first id or None, "hi": last id or None}``.

    The first range is open below and the last open above, so together they
    cover every id, including rows added between the plan and the chunks.
    Computed in SQL (a window over the ids), not by loading them.
    """
    numbered = select(column.label("id"), func.row_number().over(order_by=column).label("n")).where(*where)
    numbered_sq = numbered.subquery()
    starts = [r[0] for r in session.execute(select(numbered_sq.c.id).where((numbered_sq.c.n - 1) % size == 0)
                                            .order_by(numbered_sq.c.id))]
    if not starts:
        return []
    ranges = []
    for i, start in enumerate(starts):
        nxt = starts[i + 1] if i + 1 < len(starts) else None
        ranges.append({"lo": None if i == 0 else start, "hi": None if nxt is None else nxt - 1})
    return ranges


def in_range(column, args: dict):
    """The condition of an :func:`id_ranges` chunk on ``column``."""
    parts = []
    if args.get("lo") is not None:
        parts.append(column >= args["lo"])
    if args.get("hi") is not None:
        parts.append(column <= args["hi"])
    return and_(true(), *parts)


# -- 1. the plan ---------------------------------------------------------------------

def write_chunks(session, run_id: int, fan_out: FanOut) -> int:
    """Store the chunks of a run in the planning transaction; returns their number."""
    from core.models.job import JobChunk, JobRun

    session.add_all([JobChunk(run_id=run_id, seq=seq, args=json.dumps(args, default=str), status="pending")
                     for seq, args in enumerate(fan_out.chunks)])
    session.execute(update(JobRun).where(JobRun.id == run_id).values(chunks_pending=len(fan_out.chunks))
                    .execution_options(synchronize_session=False))
    session.flush()
    return len(fan_out.chunks)


def _count_down(session, run_id: int) -> int:
    """One chunk fewer to wait for; the row lock serialises concurrent chunks, so exactly one sees 0."""
    from core.models.job import JobRun

    return session.execute(update(JobRun).where(JobRun.id == run_id)
                           .values(chunks_pending=JobRun.chunks_pending - 1)
                           .returning(JobRun.chunks_pending)).scalar_one()
