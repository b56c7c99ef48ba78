"""Signs of life: run heartbeats, lost runs, and whether a worker and a beat are running.

A run killed with ``kill -9`` (or whose machine died) cannot record its own
end. While a job runs, a small thread of the worker refreshes the run's
``heartbeat_at`` every ``mutuo.jobs.heartbeat_seconds`` (default 30) in a
short transaction of its own, never the job's. The *reaper* marks a run whose
heartbeat is older than ``mutuo.jobs.lost_after_seconds`` (default 180)
``lost``: a lost run no longer holds its slot, so the slot can run again. It
runs before every job, at every scheduling pass of beat, on the jobs screen
and in ``mutuo jobs list``. A lost run that was only cut off from the
database (not dead) records its real end when it comes back.

Worker and beat processes write their own heartbeat into
``core_process_heartbeat``; the jobs screen and ``mutuo jobs list`` say when
each was last seen, so a dead beat or worker shows where people look instead
of only in a log file. See docs/jobs.md.
"""
from __future__ import annotations

import logging
import os
import socket
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import cast

from sqlalchemy import Table, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from core.formatting import current
from core.i18n import _, _n, translate

log = logging.getLogger(__name__)

UTC = UTC
HEARTBEAT_SECONDS = 30
LOST_AFTER_SECONDS = 180
FORGET_PROCESSES_AFTER = timedelta(days=7)


def utcnow() -> datetime:
    return datetime.now(UTC)


def heartbeat_seconds(settings) -> float:
    return float((settings or {}).get("mutuo.jobs.heartbeat_seconds") or HEARTBEAT_SECONDS)


def lost_after_seconds(settings) -> int:
    return int((settings or {}).get("mutuo.jobs.lost_after_seconds") or LOST_AFTER_SECONDS)


class Heartbeat(threading.Thread):
    """Calls ``beat()`` every ``interval`` seconds until ``stop()``; a failed beat is logged and tried again."""

    def __init__(self, name: str, interval: float, beat):
        super().__init__(name=name, daemon=True)
        self.interval = interval
        self._beat = beat
        self._stopped = threading.Event()

    def run(self):
        while not self._stopped.wait(self.interval):
            try:
                self._beat()
            except Exception as exc:  # the database is busy or away: the next beat tries again
                text = str(getattr(exc, "orig", None) or exc).strip()
                log.warning("%s: heartbeat not written (%s)", self.name, text.splitlines()[0] if text else exc)

    def stop(self):
        self._stopped.set()


# -- runs ------------------------------------------------------------------------

def touch_run(engine, run_id: int, now: datetime | None = None) -> bool:
    """Refresh a running run's heartbeat in a transaction of its own; False once it is no longer running."""
    from core.models.job import JobRun

    with engine.begin() as conn:
        runs = cast(Table, JobRun.__table__)
        result = conn.execute(update(runs)
                              .where(runs.c.id == run_id, runs.c.status == "running")
                              .values(heartbeat_at=now or utcnow()))
    return bool(result.rowcount)


def reap_lost(session, now: datetime | None = None, lost_after: int = LOST_AFTER_SECONDS) -> int:
    """Mark runs whose heartbeat stopped more than ``lost_after`` seconds ago ``lost``; their slots are free again.

    Reads first and writes only when there is something to mark, so a look at
    the jobs screen takes no write lock.
    """
    from core.audit import record_event
    from core.models.job import JobRun

    now = now or utcnow()
    cutoff = now - timedelta(seconds=lost_after)
    last_sign = func.coalesce(JobRun.heartbeat_at, JobRun.started)
    rows = session.execute(select(JobRun.id, JobRun.job, JobRun.slot, last_sign.label("seen"))
                           .where(JobRun.status == "running", last_sign < cutoff)).all()
    count = 0
    for row in rows:
        result = session.execute(
            update(JobRun).where(JobRun.id == row.id, JobRun.status == "running", last_sign < cutoff)
            .values(status="lost", finished=now,
                    error=translate(_("No sign of life since ${seen} (more than ${seconds} s): the worker running "
                                      "it was killed, crashed or lost the database. Marked lost; its slot is free "
                                      "to run again.", mapping={"seen": current().when(row.seen),
                                                                "seconds": current().number(lost_after)})))
            .execution_options(synchronize_session=False))
        if result.rowcount:
            count += 1
            log.error("job %s slot %s: marked lost (run %s, no heartbeat since %s)", row.job, row.slot, row.id, row.seen)
            record_event(session, "job_run", "core.job", row.job,
                         {"job": row.job, "slot": row.slot, "status": "lost", "run_id": row.id})
    return count


# -- worker and beat processes --------------------------------------------------------

def note_alive(engine, name: str, kind: str, started_at: datetime, now: datetime | None = None) -> None:
    """Record that process ``name`` (a worker or beat) is alive now."""
    from core.models.job import ProcessHeartbeat

    table = cast(Table, ProcessHeartbeat.__table__)
    now = now or utcnow()
    values = {"kind": kind, "hostname": socket.gethostname()[:100], "pid": os.getpid(), "started_at": started_at,
              "seen_at": now}
    with engine.begin() as conn:
        if conn.execute(update(table).where(table.c.name == name).values(**values)).rowcount:
            return
        try:
            with conn.begin_nested():
                conn.execute(insert(table).values(name=name, **values))
        except IntegrityError:  # another process of the same name got there first
            pass
        conn.execute(table.delete().where(table.c.seen_at < now - FORGET_PROCESSES_AFTER))


def start_process_heartbeat(registry, name: str, kind: str) -> Heartbeat:
    """Write a first heartbeat now, then one every ``mutuo.jobs.heartbeat_seconds`` from a thread."""
    engine = registry["dbengine"]
    started = utcnow()

    def beat():
        note_alive(engine, name, kind, started)

    try:
        beat()
    except Exception:
        log.warning("%s: could not write its first heartbeat; retrying in the background", name)
    thread = Heartbeat(f"heartbeat-{name}", heartbeat_seconds(registry.settings), beat)
    thread.start()
    return thread


def _ago(seconds: float) -> str:
    seconds = max(0, int(seconds))
    if seconds < 120:
        return _n("${n} s", "${n} s", seconds)
    if seconds < 2 * 3600:
        minutes = seconds // 60
        return _n("${n} min", "${n} min", minutes)
    if seconds < 2 * 86400:
        hours = seconds // 3600
        return _n("${n} h", "${n} h", hours)
    days = seconds // 86400
    return _n("${n} day", "${n} days", days)


@dataclass
class ProcessState:
    name: str
    kind: str
    seen_at: datetime
    age: float  # seconds since seen_at
    alive: bool

    def describe(self) -> str:
        """One sentence in the language being served: ``worker celery@box last seen 5 s ago``."""
        host = "" if self.name == self.kind else self.name.split(":", 1)[-1]
        values = {"host": host, "ago": _ago(self.age), "seen": current().when(self.seen_at)}
        if self.kind == "beat":
            if self.alive:
                message = _("beat ${host} last seen ${ago} ago", mapping=values) if host else \
                    _("beat last seen ${ago} ago", mapping=values)
            else:
                message = _("no beat ${host} for ${ago} (last seen ${seen})", mapping=values) if host else \
                    _("no beat for ${ago} (last seen ${seen})", mapping=values)
        elif self.alive:
            message = _("${kind} ${host} last seen ${ago} ago", mapping={**values, "kind": self.kind}) if host else \
                _("${kind} last seen ${ago} ago", mapping={**values, "kind": self.kind})
        else:
            message = _("no ${kind} ${host} for ${ago} (last seen ${seen})", mapping={**values, "kind": self.kind}) \
                if host else _("no ${kind} for ${ago} (last seen ${seen})", mapping={**values, "kind": self.kind})
        return " ".join(translate(message).split())


@dataclass
class Liveness:
    processes: list[ProcessState]

    def of(self, kind: str) -> list[ProcessState]:
        return [p for p in self.processes if p.kind == kind]

    @property
    def healthy(self) -> bool:
        return all(any(p.alive for p in self.of(kind)) for kind in ("beat", "worker"))

    def lines(self) -> list[str]:
        """One sentence per process, and one per kind that never reported."""
        out = [p.describe() for p in self.processes]
        if not self.of("beat"):
            out.insert(0, translate(_("no beat has ever reported: scheduled jobs are not started "
                                      "(run `mutuo serve`, or `mutuo beat` in production)")))
        if not self.of("worker"):
            out.append(translate(_("no worker has ever reported: queued runs wait "
                                   "(run `mutuo serve` or `mutuo worker`)")))
        return out


def liveness(session, settings=None, now: datetime | None = None) -> Liveness:
    from core.models.job import ProcessHeartbeat

    now = now or utcnow()
    stale = lost_after_seconds(settings)
    states = []
    for row in session.scalars(select(ProcessHeartbeat).order_by(ProcessHeartbeat.kind, ProcessHeartbeat.name)):
        age = (now - row.seen_at).total_seconds()
        states.append(ProcessState(row.name, row.kind, row.seen_at, age, age <= stale))
    return Liveness(states)
