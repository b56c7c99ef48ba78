"""What admins change (pause, schedule overrides), what the screens show, and the run table's sweeps."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from core.formatting import current
from core.i18n import _, translate
from core.jobs.schedule import UTC, ScheduleError, parse_schedule
from core.jobs.spec import SWEEP_GRACE, JobSpec

log = logging.getLogger(__name__)

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
                    error=translate(_("Still running ${seconds} s (its time limit) after it started: the worker "
                                      "was stopped or the job hung. Marked timed out; the job did not finish.",
                                      mapping={"seconds": current().number(row.time_limit)})))
            .execution_options(synchronize_session=False))
        if result.rowcount:
            count += 1
            log.error("job %s slot %s: marked timed out (run %s)", row.job, row.slot, row.id)
            record_event(session, "job_run", "core.job", row.job,
                         {"job": row.job, "slot": row.slot, "status": "timed_out", "run_id": row.id})
    return count


def sweep_stale_runs(session, now: datetime | None = None, settings: dict | None = None) -> int:
    """Runs past their time limit become timed out; runs whose heartbeat stopped become lost (see core.jobs.health)."""
    from core.jobs.health import lost_after_seconds, reap_lost

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
