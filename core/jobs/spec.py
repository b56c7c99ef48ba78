"""What a job is: its declaration (``JobSpec``), how it fails, and the registry of the enabled ones."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from core.errors import JobFailed, StartupError  # noqa: F401  (JobFailed: raised by jobs, kept at the bottom)
from core.i18n import _
from core.jobs.schedule import UTC, ScheduleError, parse_schedule  # noqa: F401  (UTC: its old home)

SWEEP_GRACE = 60  # seconds past a run's time limit before the sweep calls it timed out
HARD_LIMIT_GRACE = 30  # Celery's hard kill comes this long after the soft time limit
RETRY_ATTEMPTS = 4  # a job's transaction is retried this often on serialization/deadlock errors
FINAL_STATUSES = ("succeeded", "failed", "skipped", "timed_out", "lost")
#: The words of a run's statuses (shown with ``current().label(status)``).
STATUS_WORDS = (_("running"), _("succeeded"), _("failed"), _("skipped"), _("timed out"), _("lost"), _("queued"))



@dataclass(frozen=True)
class JobSpec:
    name: str  # <plugin>.<job>
    task: Callable  # task(request) -> summary string; runs in its own transaction
    schedule: str  # crontab "m h dom mon dow" or "every N seconds|minutes|hours"
    description: str = ""
    time_limit: int = 3600  # seconds; a run still "running" after this is failed
    #: A chunked job (core.jobs.chunks): ``task`` returns a FanOut, ``chunk(request, args) -> dict`` does one
    #: chunk in its own transaction, ``finish(request, chunks) -> summary`` ends the run once all are done.
    chunk: Callable | None = None
    finish: Callable | None = None



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
