"""Scheduled jobs: declarations, schedules, slots, the run table and running one job.

Celery-free on purpose: the worker task (``core.celery.run_job``), the beat
scheduler, ``mutuo jobs run --wait``, the admin screens and the tests all go
through ``execute_job`` and the helpers here. See docs/jobs.md.
"""
from __future__ import annotations

import logging
import random
import re
import time
import traceback
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Callable

from core.errors import UserError
from core.errors import StartupError

log = logging.getLogger(__name__)

UTC = timezone.utc
SWEEP_GRACE = 60  # seconds past a run's time limit before the sweep calls it timed out
HARD_LIMIT_GRACE = 30  # Celery's hard kill comes this long after the soft time limit
RETRY_ATTEMPTS = 4  # a job's transaction is retried this often on serialization/deadlock errors
FINAL_STATUSES = ("succeeded", "failed", "skipped", "timed_out", "lost")


@dataclass(frozen=True)
class JobSpec:
    name: str  # <plugin>.<job>
    task: Callable  # task(request) -> summary string; runs in its own transaction
    schedule: str  # crontab "m h dom mon dow" or "every N seconds|minutes|hours"
    description: str = ""
    time_limit: int = 3600  # seconds; a run still "running" after this is failed


class JobFailed(Exception):
    """Raise from a job to fail its run with this message as the summary."""


class ScheduleError(UserError):
    """A schedule string that cannot be read; the message says what is wrong."""

    def __init__(self, message: str):
        super().__init__(message, "schedule")


def build_job_registry(pm) -> dict[str, JobSpec]:
    jobs: dict[str, JobSpec] = {}
    for owner, specs in pm.call_per_plugin("mutuo_jobs"):
        for spec in specs:
            if not spec.name.startswith(owner + "."):
                raise StartupError(f"Job '{spec.name}' of plugin '{owner}' must be named '{owner}.<job>'.")
            if spec.name in jobs:
                raise StartupError(f"Job '{spec.name}' is declared twice; rename one of them.")
            try:
                parse_schedule(spec.schedule)
            except ScheduleError as exc:
                raise StartupError(f"Job '{spec.name}' of plugin '{owner}' has a bad schedule: {exc}") from None
            jobs[spec.name] = spec
    return jobs


# -- schedules -----------------------------------------------------------------

SCHEDULE_HELP = ("Use a crontab 'minute hour day-of-month month day-of-week' such as '30 2 * * *', "
                 "or 'every N seconds|minutes|hours' such as 'every 15 minutes'.")
_EVERY = re.compile(r"^every\s+(\d+)\s+(second|minute|hour)s?$", re.IGNORECASE)
_UNITS = {"second": 1, "minute": 60, "hour": 3600}
_MONTHS = {m: i for i, m in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split(), 1)}
_DAYS = {d: i for i, d in enumerate("sun mon tue wed thu fri sat".split())}
# name, lowest, highest, names allowed
_FIELDS = (("minute", 0, 59, {}), ("hour", 0, 23, {}), ("day of month", 1, 31, {}),
           ("month", 1, 12, _MONTHS), ("day of week", 0, 7, _DAYS))


@dataclass(frozen=True)
class Schedule:
    """A parsed schedule: an interval in seconds, or the sets of a crontab."""

    text: str
    every: int = 0
    minutes: tuple = ()
    hours: tuple = ()
    days: frozenset = frozenset()
    months: frozenset = frozenset()
    weekdays: frozenset = frozenset()  # 0 = Sunday
    any_day: bool = True
    any_weekday: bool = True

    def next_after(self, after: datetime, tz=UTC) -> datetime:
        """The first time this schedule fires strictly after ``after`` (UTC-aware result)."""
        if self.every:
            # Epoch-aligned boundaries: every process computes the same slots.
            start = int(after.timestamp()) // self.every * self.every + self.every
            return datetime.fromtimestamp(start, UTC)
        return self._next_cron(after.astimezone(UTC), tz)

    def _day_matches(self, day: date) -> bool:
        dom = day.day in self.days
        dow = (day.weekday() + 1) % 7 in self.weekdays
        if not self.any_day and not self.any_weekday:
            return dom or dow  # cron: both restricted means either
        return dom and dow

    def _next_cron(self, after: datetime, tz) -> datetime:
        # Walk wall-clock days in the company's time zone; minutes are checked in order.
        start = after.astimezone(tz).replace(tzinfo=None, second=0, microsecond=0) + timedelta(minutes=1)
        day = start.date()
        for _ in range(366 * 8):  # 8 years covers 29 February on a given weekday
            if day.month in self.months and self._day_matches(day):
                for hour in self.hours:
                    for minute in self.minutes:
                        wall = datetime(day.year, day.month, day.day, hour, minute)
                        if wall < start:
                            continue
                        fire = wall.replace(tzinfo=tz).astimezone(UTC)
                        if fire > after:
                            return fire
            day += timedelta(days=1)
        raise ScheduleError(f"'{self.text}' never fires (no such date).")

    def describe(self) -> str:
        return self.text


def parse_schedule(text: str) -> Schedule:
    """Read a crontab or "every N units" schedule; raise ScheduleError saying what is wrong."""
    raw = " ".join(str(text or "").split())
    if not raw:
        raise ScheduleError("The schedule is empty. " + SCHEDULE_HELP)
    if raw.lower().startswith("every"):
        match = _EVERY.match(raw)
        if not match:
            raise ScheduleError(f"'{raw}' is not 'every N seconds|minutes|hours'. " + SCHEDULE_HELP)
        seconds = int(match.group(1)) * _UNITS[match.group(2).lower()]
        if seconds < 1:
            raise ScheduleError("An interval must be at least 1 second.")
        return Schedule(text=raw, every=seconds)
    parts = raw.split(" ")
    if len(parts) != 5:
        raise ScheduleError(f"'{raw}' has {len(parts)} fields, a crontab has 5. " + SCHEDULE_HELP)
    values = [_parse_field(part, *spec) for part, spec in zip(parts, _FIELDS)]
    weekdays = frozenset(d % 7 for d in values[4])  # 7 is Sunday too
    schedule = Schedule(text=raw, minutes=tuple(sorted(values[0])), hours=tuple(sorted(values[1])),
                        days=frozenset(values[2]), months=frozenset(values[3]), weekdays=weekdays,
                        any_day=parts[2] == "*", any_weekday=parts[4] == "*")
    schedule.next_after(datetime(2000, 1, 1, tzinfo=UTC))  # refuses "0 0 30 2 *"
    return schedule


def _parse_field(text: str, name: str, low: int, high: int, names: dict) -> set[int]:
    def bad(why: str):
        return ScheduleError(f"The {name} field '{text}' {why} (allowed {low}-{high}). " + SCHEDULE_HELP)

    def number(token: str) -> int:
        token = token.lower()
        if token in names:
            return names[token]
        if not token.isdigit():
            raise bad(f"has '{token}', not a number")
        return int(token)

    values: set[int] = set()
    for part in text.split(","):
        step = 1
        stepped = "/" in part
        if stepped:
            part, step_text = part.split("/", 1)
            if not step_text.isdigit() or int(step_text) < 1:
                raise bad("has a step that is not a positive number")
            step = int(step_text)
        if part == "*":
            start, end = low, high
        elif "-" in part:
            first, last = part.split("-", 1)
            start, end = number(first), number(last)
        else:
            start = number(part)
            end = high if stepped else start  # "5/15": from 5, every 15
        if not low <= start <= end <= high:
            raise bad("is out of range")
        values.update(range(start, end + 1, step))
    return values


def slot_of(fire: datetime) -> str:
    """The slot of a scheduled run: its time in ISO UTC, whole seconds."""
    return fire.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def manual_slot() -> str:
    """A slot of its own for a run started by hand (fits the 40-character column)."""
    return "manual:" + uuid.uuid4().hex


def job_timezone(settings: dict):
    from zoneinfo import ZoneInfo

    return ZoneInfo(settings.get("mutuo.timezone") or "UTC")


# -- settings admins change ----------------------------------------------------

def job_settings(session) -> dict:
    from sqlalchemy import select

    from core.models.job import JobSetting

    return {s.name: s for s in session.scalars(select(JobSetting))}


def effective_schedule(spec: JobSpec, setting) -> tuple[str, bool]:
    """(schedule text, overridden?) — a stored override that no longer parses is ignored."""
    override = getattr(setting, "schedule_override", None)
    if override:
        try:
            parse_schedule(override)
            return override, True
        except ScheduleError:
            log.error("job %s: ignoring the stored schedule override %r, it does not parse", spec.name, override)
    return spec.schedule, False


def _setting(session, name: str):
    from core.models.job import JobSetting

    setting = session.get(JobSetting, name)
    if setting is None:
        setting = JobSetting(name=name, paused=False)
        session.add(setting)
    return setting


def set_paused(session, name: str, paused: bool) -> None:
    _setting(session, name).paused = paused


def set_schedule_override(session, name: str, schedule: str | None) -> None:
    """Store another schedule for a job (None or "" goes back to the declared one)."""
    schedule = " ".join((schedule or "").split()) or None
    if schedule is not None:
        parse_schedule(schedule)
    _setting(session, name).schedule_override = schedule


@dataclass
class JobState:
    """One job as the screens and the CLI show it."""

    spec: JobSpec
    schedule: str
    overridden: bool
    paused: bool
    next_run: datetime | None
    last_run: object | None = None  # JobRun


def job_states(session, jobs: dict[str, JobSpec], tz=UTC, now: datetime | None = None) -> list[JobState]:
    from sqlalchemy import func, select

    from core.models.job import JobRun

    now = now or utcnow()
    settings = job_settings(session)
    latest = select(func.max(JobRun.id)).where(JobRun.status != "skipped").group_by(JobRun.job)
    last = {r.job: r for r in session.scalars(select(JobRun).where(JobRun.id.in_(latest)))}
    states = []
    for name in sorted(jobs):
        spec = jobs[name]
        setting = settings.get(name)
        text, overridden = effective_schedule(spec, setting)
        paused = bool(setting and setting.paused)
        next_run = None if paused else parse_schedule(text).next_after(now, tz)
        states.append(JobState(spec, text, overridden, paused, next_run, last.get(name)))
    return states


# -- the run table ----------------------------------------------------------------

def utcnow() -> datetime:
    return datetime.now(UTC)


def sweep_timed_out(session, now: datetime | None = None) -> int:
    """Mark runs still "running" well past their time limit as timed out (a killed worker)."""
    from sqlalchemy import select, update

    from core.audit import record_event
    from core.models.job import JobRun

    now = now or utcnow()
    count = 0
    rows = session.execute(select(JobRun.id, JobRun.job, JobRun.slot, JobRun.started, JobRun.time_limit)
                           .where(JobRun.status == "running")).all()
    for row in rows:
        if row.started + timedelta(seconds=row.time_limit + SWEEP_GRACE) > now:
            continue
        result = session.execute(
            update(JobRun).where(JobRun.id == row.id, JobRun.status == "running")
            .values(status="timed_out", finished=now,
                    error=f"Still running {row.time_limit} s (its time limit) after it started: the worker "
                          "was stopped or the job hung. Marked timed out; the job did not finish.")
            .execution_options(synchronize_session=False))
        if result.rowcount:
            count += 1
            log.error("job %s slot %s: marked timed out (run %s)", row.job, row.slot, row.id)
            record_event(session, "job_run", "core.job", row.job,
                         {"job": row.job, "slot": row.slot, "status": "timed_out", "run_id": row.id})
    return count


def sweep_stale_runs(session, now: datetime | None = None, settings: dict | None = None) -> int:
    """Runs past their time limit become timed out; runs whose heartbeat stopped become lost (see core.job_health)."""
    from core.job_health import lost_after_seconds, reap_lost

    return sweep_timed_out(session, now) + reap_lost(session, now, lost_after_seconds(settings))


def sweep_apart(session_factory, engine, settings: dict | None, actor: str, now: datetime | None = None) -> int:
    """``sweep_stale_runs`` in a transaction of its own that takes no write lock (SQLite) unless it marks a run."""
    from core.audit import Actor, set_actor
    from core.db import read_mostly

    session = session_factory(bind=read_mostly(engine))
    try:
        set_actor(session, Actor(None, actor))
        count = sweep_stale_runs(session, now, settings)
        session.commit()
        return count
    finally:
        session.close()


@dataclass
class RunOutcome:
    job: str
    slot: str
    status: str  # succeeded | failed | skipped | timed_out | lost | unknown
    run_id: int | None = None
    summary: str = ""
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status in ("succeeded", "skipped")

    def as_dict(self) -> dict:
        return {"job": self.job, "slot": self.slot, "status": self.status, "run_id": self.run_id,
                "summary": self.summary, "error": self.error}


def is_retryable(exc: BaseException) -> bool:
    """Serialization failures, deadlocks and SQLite's busy lock: the transaction may simply be retried."""
    from sqlalchemy.exc import DBAPIError
    from transaction.interfaces import TransientError

    if isinstance(exc, TransientError):
        return True
    if not isinstance(exc, DBAPIError):
        return False
    orig = exc.orig
    if (getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)) in ("40001", "40P01"):
        return True
    text = str(orig).lower()
    return any(s in text for s in ("database is locked", "deadlock", "could not serialize", "serialization failure"))


def retrying(fn, what: str = "transaction", attempts: int = RETRY_ATTEMPTS):
    """Call ``fn()`` again (a fresh transaction each time) after a retryable database error."""
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

def job_platform(settings: dict, *, base: dict | None = None, engine=None):
    """A Pyramid registry holding what a job needs: settings, plugins, jobs, sessions.

    ``base``: an already populated registry (or dict) to copy instead of
    building the plugins again; ``engine``: reuse this engine.
    """
    from pyramid.registry import Registry

    from core.db import get_engine, get_session_factory
    from core.platform import populate_registry

    registry = Registry("mutuo.jobs")
    registry.settings = settings
    if base is None:
        populate_registry(registry, settings)
    else:
        registry.update(base)
    engine = engine or registry.get("dbengine") or get_engine(settings)
    registry["dbengine"] = engine
    # Always a factory of its own: its sessions carry this registry's plugins and settings (core.context).
    registry["dbsession_factory"] = get_session_factory(engine, registry["mutuo.pm"], settings)
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

    env = pyramid.scripting.prepare(registry=registry)
    request = env["request"]
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


def run_in_request(registry, actor: str, fn):
    """``fn(request)`` in its own request and transaction, retried on serialization errors."""
    def once():
        with request_env(registry, actor) as request:
            with request.tm:
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
            run = JobRun(job=name, slot=slot, trigger=trigger, status="skipped", started=utcnow(),
                         finished=utcnow(), triggered_by=triggered_by, task_id=task_id,
                         time_limit=spec.time_limit, summary=f"Skipped as duplicate: run #{first} has this slot.")
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
        request.job_name, request.job_slot, request.job_run_id = name, slot, run_id
        return spec.task(request)

    status, error, interrupt = "succeeded", None, None
    heartbeat = _run_heartbeat(registry, name, run_id)
    try:
        result = run_in_request(registry, actor, body)
        summary = "" if result is None else str(result)
    except JobFailed as exc:
        status, summary, error = "failed", str(exc), traceback.format_exc()
    except Exception as exc:
        timed_out = type(exc).__name__ == "SoftTimeLimitExceeded"
        status = "timed_out" if timed_out else "failed"
        summary = (f"Stopped after its time limit of {spec.time_limit} s." if timed_out
                   else f"{type(exc).__name__}: {_first_line(exc)}")
        error = traceback.format_exc()
    except BaseException as exc:  # worker shutdown: record it, then let it go on
        status, summary, error, interrupt = "failed", f"Interrupted ({type(exc).__name__}).", traceback.format_exc(), exc
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


def _run_heartbeat(registry, name: str, run_id: int):
    """Refresh the run's heartbeat from a thread while the job runs (its own short transactions)."""
    from core.job_health import Heartbeat, heartbeat_seconds, touch_run

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


# -- core's own jobs ------------------------------------------------------------

def audit_verify(request) -> str:
    """Recompute the audit log's hash chain and compare it with the checkpoints; a problem fails the run."""
    from core.audit_checkpoints import verify_with_checkpoints
    from core.db import READ_MOSTLY

    connection = request.dbsession.connection(execution_options={READ_MOSTLY: True})
    result = verify_with_checkpoints(connection, request.registry.settings)
    if not result.intact:
        log.error("AUDIT CHAIN BROKEN: %s", result.describe())
        raise JobFailed(f"Audit chain broken: {result.describe()}")
    return result.describe()


def audit_checkpoint(request) -> str:
    """Append the audit chain's head to the checkpoint file outside the database (and to this log)."""
    from core.audit_checkpoints import checkpoint_path, write_checkpoint

    checkpoint = write_checkpoint(request.dbsession.connection(), request.registry.settings)
    if checkpoint is None:
        return "The audit log is empty; no checkpoint written."
    return (f"Checkpoint of entry {checkpoint.last_id} ({checkpoint.count:,} entries, head {checkpoint.head}) "
            f"appended to {checkpoint_path(request.registry.settings)}")


def documents_gc(request) -> str:
    """Remove stored files no document version refers to (older than the grace period)."""
    from core.documents import blob_store, gc, human_size

    hours = int(request.registry.settings.get("mutuo.documents.gc_grace_hours") or 24)
    report = gc(request.dbsession, blob_store(request.registry), timedelta(hours=hours))
    return (f"{len(report.removed):,} unreferenced files removed ({human_size(report.freed)} freed), "
            f"{report.kept_recent:,} kept within the {hours} h grace period, {report.referenced:,} referenced")


def deliver_messages(request) -> str:
    """Send what the departments queued (see core.messages.delivery)."""
    from core.messages import deliver, gateways_for

    if not gateways_for(request.dbsession):
        return "no message gateway enabled: messages stay in the outbox (Admin > Messages)"
    return deliver(request.dbsession).summary


def documents_verify(request) -> str:
    """Re-hash every stored file; a missing or altered file fails the run."""
    from core.documents import blob_store, verify

    report = verify(request.dbsession, blob_store(request.registry))
    if not report.ok:
        problems = [*report.missing, *report.corrupt]
        for problem in problems:
            log.error("document store: %s", problem.describe())
        shown = "; ".join(p.describe() for p in problems[:5]) + ("; …" if len(problems) > 5 else "")
        raise JobFailed(f"{len(report.missing):,} missing and {len(report.corrupt):,} corrupt of "
                        f"{report.checked:,} files checked: {shown}")
    return f"{report.checked:,} files checked ({report.referenced:,} referenced): all intact"


def identity_cleanup(request) -> str:
    """Delete long-ended login sessions and stale login-throttle counters."""
    from core import throttle
    from core.models.meta import utcnow as now
    from core.sessions import purge_ended

    sessions = purge_ended(request.dbsession, request.registry.settings)
    throttles = throttle.purge_stale(request.dbsession, now())
    return f"{sessions:,} ended sessions and {throttles:,} stale login counters removed"


def core_jobs() -> list[JobSpec]:
    return [
        JobSpec("core.audit_verify", audit_verify, "15 2 * * *",
                "Recomputes the audit log's hash chain and compares it with the checkpoints; "
                "a broken chain or a missing tail fails the run.", time_limit=3600),
        JobSpec("core.audit_checkpoint", audit_checkpoint, "5 * * * *",
                "Writes the audit chain's head to an append-only file outside the database, "
                "so deleted or rewritten entries are detected.", time_limit=600),
        JobSpec("core.documents_gc", documents_gc, "45 2 * * *",
                "Removes stored files no document refers to any more.", time_limit=3600),
        JobSpec("core.documents_verify", documents_verify, "30 3 * * 0",
                "Re-reads every stored file and checks its SHA-256.", time_limit=4 * 3600),
        JobSpec("core.identity_cleanup", identity_cleanup, "50 3 * * *",
                "Deletes login sessions ended over a week ago and login counters idle for a day."),
        JobSpec("core.deliver_messages", deliver_messages, "every 1 minute",
                "Hands queued SMS and e-mail to the gateway plugins, within each gateway's rate limit, "
                "and retries failures with backoff.", time_limit=300),
    ]
