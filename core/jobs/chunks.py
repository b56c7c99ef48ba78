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
"""
from __future__ import annotations

import json
import logging
import traceback
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


def dispatch(registry, run_id: int, count: int, time_limit: int) -> None:
    """Start the chunks of a planned run: here, in order (inline), or one Celery message each."""
    if chunk_mode(registry.settings) == "inline":
        for seq in range(count):
            execute_chunk(registry, run_id, seq)
        return
    from core.celery_app import celery_app
    from core.jobs.spec import HARD_LIMIT_GRACE

    task = celery_app(registry).tasks["core.run_chunk"]
    for seq in range(count):
        task.send_now((run_id, seq), soft_time_limit=time_limit, time_limit=time_limit + HARD_LIMIT_GRACE)


# -- 2. one chunk ------------------------------------------------------------------------

def execute_chunk(registry, run_id: int, seq: int) -> str:
    """Run chunk ``seq`` of run ``run_id`` at most once; returns done | already | failed | gone."""
    from core.i18n import in_locale
    from core.jobs.execution import job_localizer

    with in_locale(job_localizer(registry).locale_name, registry.get("mutuo.pm")):
        return _execute_chunk(registry, run_id, seq)


def _execute_chunk(registry, run_id: int, seq: int) -> str:
    from core.jobs.execution import _run_heartbeat, _write, run_in_request
    from core.models.job import JobChunk, JobRun

    with registry["dbsession_factory"]() as session:
        run = session.execute(select(JobRun.job, JobRun.slot, JobRun.status).where(JobRun.id == run_id)).first()
    if run is None or run.status not in ("running", "lost"):
        log.warning("chunk %s of run %s: the run is %s; chunk not run", seq, run_id,
                    run.status if run else "gone")
        return "gone"
    spec = registry["mutuo.jobs"].get(run.job)
    if spec is None or spec.chunk is None:
        log.error("chunk %s of run %s: job %s has no chunk function here; not run", seq, run_id, run.job)
        return "gone"
    actor = f"job:{run.job}"
    mine = and_(JobChunk.run_id == run_id, JobChunk.seq == seq)

    def body(request):
        from core.jobs.runs import utcnow

        session = request.dbsession
        # The marker and the work share this transaction: a second copy blocks on the row, then finds it done.
        claimed = session.execute(update(JobChunk).where(mine, JobChunk.status == "pending")
                                  .values(status="done", finished=utcnow())
                                  .execution_options(synchronize_session=False)).rowcount
        if not claimed:
            return None
        request.job_name, request.job_slot, request.job_run_id = run.job, run.slot, run_id
        args = json.loads(session.scalar(select(JobChunk.args).where(mine)) or "{}")
        result = spec.chunk(request, args) or {}
        session.execute(update(JobChunk).where(mine).values(result=json.dumps(result, default=str))
                        .execution_options(synchronize_session=False))
        return _count_down(session, run_id)

    heartbeat = _run_heartbeat(registry, run.job, run_id)
    try:
        try:
            pending = run_in_request(registry, actor, body)
        finally:
            heartbeat.stop()
    except Exception as exc:
        log.exception("job %s slot %s: chunk %s of run %s failed", run.job, run.slot, seq, run_id)
        error = f"{type(exc).__name__}: {exc}\n\n{traceback.format_exc()}"

        def fail(session):
            failed = session.execute(update(JobChunk).where(mine, JobChunk.status == "pending")
                                     .values(status="failed", error=error)
                                     .execution_options(synchronize_session=False)).rowcount
            return _count_down(session, run_id) if failed else None

        pending = _write(registry, actor, fail)
        if pending == 0:
            finish_run(registry, run_id)
        return "failed"
    if pending is None:
        log.info("job %s slot %s: chunk %s of run %s was already done; nothing done twice", run.job, run.slot,
                 seq, run_id)
        return "already"
    if pending == 0:
        finish_run(registry, run_id)
    return "done"


def _count_down(session, run_id: int) -> int:
    """One chunk fewer to wait for; the row lock serialises concurrent chunks, so exactly one sees 0."""
    from core.models.job import JobRun

    return session.execute(update(JobRun).where(JobRun.id == run_id)
                           .values(chunks_pending=JobRun.chunks_pending - 1)
                           .returning(JobRun.chunks_pending)).scalar_one()


# -- 3. the end of the run -----------------------------------------------------------------

def finish_run(registry, run_id: int) -> str:
    """Call the job's ``finish`` over its chunks and record the run's end; returns the run's status."""
    from core.audit import record_event
    from core.i18n import _, translate
    from core.jobs.execution import _first_line, _write, job_localizer, run_in_request
    from core.jobs.runs import utcnow
    from core.models.job import JobChunk, JobRun

    speak = job_localizer(registry)
    with registry["dbsession_factory"]() as session:
        run = session.execute(select(JobRun.job, JobRun.slot, JobRun.trigger).where(JobRun.id == run_id)).one()
        rows = session.execute(select(JobChunk.seq, JobChunk.args, JobChunk.status, JobChunk.result,
                                      JobChunk.error).where(JobChunk.run_id == run_id)
                               .order_by(JobChunk.seq)).all()
    spec = registry["mutuo.jobs"][run.job]
    failed = [r for r in rows if r.status == "failed"]
    status, error = "succeeded", None
    if failed:
        status = "failed"
        summary = translate(_("${failed} of ${total} chunks failed (first: chunk ${seq}: ${error}); the other "
                              "chunks' work is kept.",
                              mapping={"failed": len(failed), "total": len(rows), "seq": failed[0].seq,
                                       "error": (failed[0].error or "").splitlines()[0][:200]}), speak)
        error = "\n\n".join(f"chunk {r.seq} {r.args}:\n{r.error}" for r in failed)
    else:
        chunks = [Chunk(r.seq, json.loads(r.args or "{}"), json.loads(r.result or "{}")) for r in rows]

        def body(request):
            request.job_name, request.job_slot, request.job_run_id = run.job, run.slot, run_id
            return spec.finish(request, chunks) if spec.finish else None

        try:
            result = run_in_request(registry, f"job:{run.job}", body)
            summary = "" if result is None else translate(result, speak)
        except Exception as exc:
            status, summary, error = "failed", f"{type(exc).__name__}: {_first_line(exc)}", traceback.format_exc()
    log.log(logging.INFO if status == "succeeded" else logging.ERROR, "job %s slot %s: %s after %d chunk(s): %s",
            run.job, run.slot, status, len(rows), summary)

    def finish(session):
        session.execute(update(JobRun).where(JobRun.id == run_id, JobRun.status.in_(("running", "lost")))
                        .values(status=status, finished=utcnow(), summary=summary, error=error)
                        .execution_options(synchronize_session=False))
        record_event(session, "job_run", "core.job", run.job,
                     {"job": run.job, "slot": run.slot, "status": status, "trigger": run.trigger,
                      "run_id": run_id, "chunks": len(rows)})

    _write(registry, f"job:{run.job}", finish)
    return status
