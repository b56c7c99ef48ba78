"""Beat's scheduler: the enabled plugins' jobs, minus paused ones, with admins' overrides.

``celery beat`` (or ``worker --beat``) builds it with the app of
``celery -A core.celery``; the app's registry gives the jobs and the database.
"""
from __future__ import annotations

import logging
import time

from celery.beat import Scheduler

from core.celery_app import enqueue_job, get_registry
from core.jobs import effective_schedule, job_settings, job_timezone, parse_schedule, slot_of, sweep_apart, utcnow

log = logging.getLogger(__name__)


class _Planned:
    __slots__ = ("name", "text", "schedule", "next", "time_limit")

    def __init__(self, name, text, schedule, next_fire, time_limit):
        self.name, self.text, self.schedule, self.next, self.time_limit = name, text, schedule, next_fire, time_limit


class JobScheduler(Scheduler):
    """Beat's schedule: the enabled plugins' jobs, minus paused ones, with admins' overrides.

    The job settings are re-read every ``refresh_every`` seconds, so pausing
    or rescheduling in the web UI takes effect without a restart. Nothing is
    kept on disk: a slot is the scheduled time, and the run table refuses a
    slot twice, so several beats (or a restarted one) cannot double-run.
    """

    refresh_every = 5.0

    def __init__(self, app, *args, **kwargs):
        self.planned: dict[str, _Planned] = {}
        self._refreshed = None
        self._tz = job_timezone({})
        self._registry = None
        super().__init__(app, *args, **kwargs)
        self.max_interval = min(self.max_interval, self.refresh_every)

    @property
    def registry(self):
        if self._registry is None:
            self._registry = get_registry(self.app)
        return self._registry

    @property
    def info(self):
        return f"{len(self.planned)} job(s) scheduled, settings re-read every {self.refresh_every:g} s"

    def now(self):  # a method so tests can move the clock
        return utcnow()

    def setup_schedule(self):
        self.refresh(force=True)

    def get_schedule(self):
        return {}

    def refresh(self, force: bool = False) -> None:
        clock = time.monotonic()
        if not force and self._refreshed is not None and clock - self._refreshed < self.refresh_every:
            return
        self._refreshed = clock
        registry = self.registry
        jobs = registry["mutuo.jobs"]
        tz = job_timezone(registry.settings or {})
        session = registry["dbsession_factory"]()
        try:
            stored = job_settings(session)
        finally:
            session.close()
        now = self.now()
        for name, spec in jobs.items():
            setting = stored.get(name)
            if setting is not None and setting.paused:
                if self.planned.pop(name, None) is not None:
                    log.info("beat: %s paused", name)
                continue
            text, _ = effective_schedule(spec, setting)
            current = self.planned.get(name)
            if current is None or current.text != text:
                schedule = parse_schedule(text)
                self.planned[name] = _Planned(name, text, schedule, schedule.next_after(now, tz), spec.time_limit)
                log.info("beat: %s on '%s', next at %s", name, text, slot_of(self.planned[name].next))
        for name in [n for n in self.planned if n not in jobs]:
            del self.planned[name]
        self._tz = tz
        try:  # every scheduling pass also frees the slots of runs whose worker died
            self.reap()
        except Exception:
            log.exception("beat: could not sweep timed-out and lost runs")

    def reap(self) -> int:
        """Mark runs past their time limit timed out and runs without a heartbeat lost (frees their slots)."""
        registry = self.registry
        return sweep_apart(registry["dbsession_factory"], registry["dbengine"], registry.settings, "beat", self.now())

    def tick(self, *args, **kwargs) -> float:
        try:
            self.refresh()
        except Exception:  # a database hiccup: keep the last plan, try again next tick
            log.exception("beat: could not re-read the job settings")
        now = self.now()
        for planned in list(self.planned.values()):
            if planned.next <= now:
                self.send(planned.name, planned.next, planned.time_limit)
                planned.next = planned.schedule.next_after(now, self._tz)
        if not self.planned:
            return self.max_interval
        wait = (min(p.next for p in self.planned.values()) - self.now()).total_seconds()
        return max(0.05, min(wait, self.max_interval))

    def send(self, name: str, fire, time_limit: int) -> None:
        slot = slot_of(fire)
        log.info("beat: sending %s for slot %s", name, slot)
        try:
            enqueue_job(name, "beat", "beat", slot=slot, time_limit=time_limit, app=self.app)
        except Exception:  # the broker is away: log, and carry on with the next slot
            log.exception("beat: could not send %s for slot %s", name, slot)
