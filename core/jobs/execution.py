"""Running one job: its Pyramid environment, its own request and transaction, retries and its run row.

A chunked job's chunks and its end run here too (see :mod:`core.jobs.chunks` for the model).
"""
from __future__ import annotations

import json
import logging
import random
import time
import traceback
from contextlib import contextmanager

from sqlalchemy import and_, select, update

from core.db import is_retryable  # the one rule, shared with requests
from core.errors import JobFailed
from core.formatting import formatter
from core.i18n import _, translate
from core.jobs.chunks import FanOut, chunk_mode
from core.jobs.runs import RunOutcome, sweep_stale_runs, utcnow
from core.jobs.spec import RETRY_ATTEMPTS

log = logging.getLogger(__name__)


def retrying(fn, what: str = "transaction", attempts: int = RETRY_ATTEMPTS):
    """Call ``fn()`` again (a fresh transaction each time) after a retryable database error.

    Retryable is decided by :func:`core.db.is_retryable`, the rule requests follow too.
    """
    for attempt in range(1, attempts + 1):
        try:
            return fn()
        except Exception as exc:
            if attempt == attempts or not is_retryable(exc):
                raise
            delay = min(0.1 * 2 ** attempt, 5.0) + random.uniform(0, 0.1)
            log.warning("%s: %s; retrying in %.1f s (attempt %d of %d)", what, _first_line(exc), delay,
                        attempt + 1, attempts)
            time.sleep(delay)


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


# -- the Pyramid environment of a job ----------------------------------------------

def job_platform(settings: dict, *, base: dict | None = None, engine=None, celery=None):
    """A Pyramid registry holding what a job needs: settings, plugins, jobs, services, sessions, its Celery app.

    ``base``: an already populated registry (or dict) to copy instead of
    building the plugins again; ``engine``: reuse this engine; ``celery``: the
    Celery app whose tasks run against this registry (else a new one).
    """
    from pyramid.registry import Registry

    from core.db import get_engine, get_session_factory
    from core.platform import attach_celery, populate_registry
    from core.services import install

    registry = Registry("mutuo.jobs")
    registry.settings = settings
    if base is None:
        populate_registry(registry, settings)
    else:
        registry.update(base)
    # The app's services (core.services), found with request.find_service in the job's request;
    # from a base registry, the very same service objects.
    install(registry, share_from=base)
    engine = engine or registry.get("dbengine") or get_engine(settings)
    registry["dbengine"] = engine
    # Always a factory of its own: its sessions carry this registry, its plugins and settings (core.context).
    registry["dbsession_factory"] = get_session_factory(engine, registry["mutuo.pm"], settings, registry)
    attach_celery(registry, settings, celery)
    return registry


@contextmanager
def request_env(registry, actor: str):
    """A request of its own: threadlocals, ``request.tm`` (not begun), ``request.dbsession``.

    The caller opens the transaction (``with request.tm:``); everything is
    aborted if still open and closed on the way out.
    """
    import pyramid.scripting
    import transaction

    from core.audit import Actor, set_actor
    from core.db import get_tm_session

    localizer = job_localizer(registry)
    env = pyramid.scripting.prepare(registry=registry)
    request = env["request"]
    # A job speaks the company's language (mutuo.default_locale), whoever started it.
    request.localizer, request.locale_name = localizer, localizer.locale_name
    tm = transaction.TransactionManager(explicit=True)
    request.tm = tm
    session = get_tm_session(registry["dbsession_factory"], tm, request)
    request.dbsession = session
    set_actor(session, Actor(None, actor))
    try:
        yield request
    finally:
        try:
            if tm._txn is not None:  # left open by an error inside the ``with``
                tm.abort()
        finally:
            session.close()
            env["closer"]()


def job_localizer(registry):
    """The company's language (``mutuo.default_locale``) over core's and the enabled plugins' catalogues."""
    from core.i18n import default_locale, localizer_for, translation_dirs

    return localizer_for(default_locale(registry.settings), translation_dirs(registry.get("mutuo.pm")))


def run_in_request(registry, actor: str, fn):
    """``fn(request)`` in its own request and transaction, retried on serialization errors."""
    def once():
        with request_env(registry, actor) as request, request.tm:
            return fn(request)

    return retrying(once, f"{actor}")


def _write(registry, actor: str, fn):
    """A short bookkeeping transaction (the run table), retried on lock errors."""
    from core.audit import Actor, set_actor
    from core.db import run_in_transaction

    def body(session):
        set_actor(session, Actor(None, actor))
        return fn(session)

    return retrying(lambda: run_in_transaction(registry["dbsession_factory"], body), f"{actor} bookkeeping")


# -- running one job -------------------------------------------------------------

def execute_job(registry, name: str, slot: str, trigger: str, triggered_by: str = "",
                task_id: str | None = None) -> RunOutcome:
    """Run job ``name`` (see :func:`_execute_job`) in the company's language: its summary is stored text."""
    from core.i18n import in_locale

    with in_locale(job_localizer(registry).locale_name, registry.get("mutuo.pm")):
        return _execute_job(registry, name, slot, trigger, triggered_by, task_id)


def _execute_job(registry, name: str, slot: str, trigger: str, triggered_by: str = "",
                 task_id: str | None = None) -> RunOutcome:
    """Run job ``name`` for ``slot`` at most once; record the run; never raise for the job's own errors.

    1. sweep runs left "running" by a killed worker;
    2. claim the slot: insert a "running" row in its own committed transaction —
       the partial unique index on (job, slot) refuses a second one, and the
       duplicate is recorded as "skipped";
    3. run the job in its own request and transaction (retried on
       serialization/deadlock errors);
    4. record succeeded + summary or failed + traceback, and a ``job_run`` audit event.
    """
    from sqlalchemy import select
    from sqlalchemy.exc import IntegrityError

    from core.audit import record_event
    from core.models.job import JobRun

    actor = f"job:{name}"
    speak = job_localizer(registry)  # explicit: a run started eagerly inside a web request still speaks it
    spec = registry["mutuo.jobs"].get(name)
    if spec is None:
        log.error("job %s (slot %s) is not declared by any enabled plugin; not run", name, slot)
        return RunOutcome(name, slot, "unknown", error=f"No enabled plugin declares the job '{name}'.")
    triggered_by = (triggered_by or "")[:100]

    try:
        _write(registry, "jobs:sweep", lambda s: sweep_stale_runs(s, settings=registry.settings))
    except Exception as exc:  # the sweep must never keep a job from running...
        if database_unreachable(exc):  # ...but without a database nothing can run: say so once, up there
            raise
        log.exception("job %s: sweeping timed-out and lost runs failed", name)

    def claim(session):
        now = utcnow()
        run = JobRun(job=name, slot=slot, trigger=trigger, status="running", started=now, heartbeat_at=now,
                     triggered_by=triggered_by, task_id=task_id, time_limit=spec.time_limit, summary="")
        session.add(run)
        session.flush()
        return run.id

    try:
        run_id = _write(registry, actor, claim)
    except IntegrityError:
        def skip(session):
            first = session.scalar(select(JobRun.id).where(JobRun.job == name, JobRun.slot == slot,
                                                           JobRun.status != "skipped"))
            summary = translate(_("Skipped as duplicate: run #${run} has this slot.", mapping={"run": first}), speak)
            run = JobRun(job=name, slot=slot, trigger=trigger, status="skipped", started=utcnow(),
                         finished=utcnow(), triggered_by=triggered_by, task_id=task_id,
                         time_limit=spec.time_limit, summary=summary)
            session.add(run)
            session.flush()
            record_event(session, "job_run", "core.job", name,
                         {"job": name, "slot": slot, "status": "skipped", "trigger": trigger, "run_id": run.id})
            return run.id, run.summary

        run_id, summary = _write(registry, actor, skip)
        log.info("job %s slot %s: skipped as duplicate (%s)", name, slot, trigger)
        return RunOutcome(name, slot, "skipped", run_id, summary)

    log.info("job %s slot %s: started (%s, run %s)", name, slot, trigger, run_id)

    def body(request):
        from core.jobs.chunks import write_chunks

        request.job_name, request.job_slot, request.job_run_id = name, slot, run_id
        result = spec.task(request)
        if isinstance(result, FanOut):  # the plan commits with the parent's own writes
            if not result.chunks:
                return spec.finish(request, []) if spec.finish else None
            return FanOut([{}] * write_chunks(request.dbsession, run_id, result))
        return result

    status, error, interrupt = "succeeded", None, None
    heartbeat = _run_heartbeat(registry, name, run_id)
    try:
        result = run_in_request(registry, actor, body)
        if isinstance(result, FanOut):  # a chunked run ends with its last chunk (core.jobs.chunks)
            heartbeat.stop()
            return _fan_out(registry, name, slot, run_id, len(result.chunks), spec.time_limit)
        summary = "" if result is None else translate(result, speak)  # stored in the company's language
    except JobFailed as exc:
        status, summary, error = "failed", translate(exc, speak), traceback.format_exc()
    except Exception as exc:
        timed_out = type(exc).__name__ == "SoftTimeLimitExceeded"
        status = "timed_out" if timed_out else "failed"
        limit = formatter(speak.locale_name).number(spec.time_limit)
        summary = (translate(_("Stopped after its time limit of ${seconds} s.", mapping={"seconds": limit}), speak)
                   if timed_out
                   else f"{type(exc).__name__}: {_first_line(exc)}")
        error = traceback.format_exc()
    except BaseException as exc:  # worker shutdown: record it, then let it go on
        summary = translate(_("Interrupted (${reason}).", mapping={"reason": type(exc).__name__}), speak)
        status, error, interrupt = "failed", traceback.format_exc(), exc
    finally:
        heartbeat.stop()
    if status != "succeeded":
        log.error("job %s slot %s: %s: %s", name, slot, status, summary)
    else:
        log.info("job %s slot %s: succeeded: %s", name, slot, summary)

    def finish(session):
        from sqlalchemy import update

        # A run marked lost was alive after all (cut off from the database, or SQLite's single
        # write lock held its heartbeat back): its real end replaces "lost".
        result = session.execute(
            update(JobRun).where(JobRun.id == run_id, JobRun.status.in_(("running", "lost")))
            .values(status=status, finished=utcnow(), summary=summary, error=error)
            .execution_options(synchronize_session=False))
        if not result.rowcount:
            log.warning("job %s slot %s: run %s was already marked timed out; its result (%s) is not stored",
                        name, slot, run_id, status)
        record_event(session, "job_run", "core.job", name,
                     {"job": name, "slot": slot, "status": status, "trigger": trigger, "run_id": run_id})

    try:
        _write(registry, actor, finish)
    except Exception:
        log.exception("job %s slot %s: could not record the end of run %s", name, slot, run_id)
    if interrupt is not None:
        raise interrupt
    return RunOutcome(name, slot, status, run_id, summary, error)


def _fan_out(registry, name: str, slot: str, run_id: int, count: int, time_limit: int) -> RunOutcome:
    """Start a planned run's chunks; inline, the run has ended when this returns."""
    from core.models.job import JobRun

    log.info("job %s slot %s: %d chunk(s) planned (run %s, %s)", name, slot, count, run_id,
             chunk_mode(registry.settings))
    dispatch(registry, run_id, count, time_limit)
    with registry["dbsession_factory"]() as session:
        run = session.get(JobRun, run_id)
        return RunOutcome(name, slot, run.status, run_id, run.summary, run.error)


def _run_heartbeat(registry, name: str, run_id: int):
    """Refresh the run's heartbeat from a thread while the job runs (its own short transactions)."""
    from core.jobs.health import Heartbeat, heartbeat_seconds, touch_run

    engine = registry["dbengine"]
    thread = Heartbeat(f"job-heartbeat-{name}-{run_id}", heartbeat_seconds(registry.settings),
                       lambda: touch_run(engine, run_id))
    thread.start()
    return thread


def database_unreachable(exc: BaseException) -> bool:
    """No connection could be made at all (refused, unknown host, bad password, missing SQLite folder)."""
    from sqlalchemy.exc import OperationalError

    text = str(getattr(exc, "orig", None) or exc).lower()
    return isinstance(exc, OperationalError) and any(
        s in text for s in ("connection failed", "could not connect", "connection refused", "unable to open",
                            "password authentication", "could not translate host"))


def dispatch(registry, run_id: int, count: int, time_limit: int) -> None:
    """Start the chunks of a planned run: here, in order (inline), or one Celery message each."""
    if chunk_mode(registry.settings) == "inline":
        for seq in range(count):
            execute_chunk(registry, run_id, seq)
        return
    from core.jobs.spec import HARD_LIMIT_GRACE

    # The Celery app kept on the registry (core.celery_app); core.jobs itself imports no Celery.
    task = registry["mutuo.celery"].tasks["core.run_chunk"]
    for seq in range(count):
        task.send_now((run_id, seq), soft_time_limit=time_limit, time_limit=time_limit + HARD_LIMIT_GRACE)


# -- chunked runs (core.jobs.chunks): one chunk, and the end of the run --------------------

def execute_chunk(registry, run_id: int, seq: int) -> str:
    """Run chunk ``seq`` of run ``run_id`` at most once; returns done | already | failed | gone."""
    from core.i18n import in_locale

    with in_locale(job_localizer(registry).locale_name, registry.get("mutuo.pm")):
        return _execute_chunk(registry, run_id, seq)


def _execute_chunk(registry, run_id: int, seq: int) -> str:
    from core.jobs.chunks import _count_down
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


def finish_run(registry, run_id: int) -> str:
    """Call the job's ``finish`` over its chunks and record the run's end; returns the run's status."""
    from core.audit import record_event
    from core.jobs.chunks import Chunk
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
