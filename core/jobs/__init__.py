"""Scheduled jobs: declarations, schedules, slots, the run table and running one job.

Celery-free on purpose: the worker task (``core.celery_app.run_job``), the beat
scheduler, ``mutuo jobs run --wait``, the admin screens and the tests all go
through ``execute_job`` and the helpers here. See docs/jobs.md.

Modules by layer (this package re-exports their public names):

* ``schedule``: reading schedules, their slots and timezone;
* ``spec``: ``JobSpec`` and the registry of the enabled plugins' jobs;
* ``runs``: admins' settings (pause, overrides), job states, the run table's sweeps;
* ``execution``: a job's Pyramid environment and ``execute_job``; retries follow
  :func:`core.db.is_retryable`, the rule requests follow too;
* ``health``: heartbeats of runs and of worker/beat processes;
* ``chunks``: chunked runs (a plan, chunks any worker runs once each, a finish).

Core's own jobs (audit verify and checkpoint, documents gc and verify, message
delivery, identity clean-up) live beside the feature they maintain and are
declared in :mod:`core.hooks`, the way a plugin declares its jobs; this package
imports none of them.
"""
from __future__ import annotations

from core.errors import JobFailed  # noqa: F401
from core.jobs.chunks import Chunk, FanOut, chunk_mode, chunk_size, id_ranges, in_range  # noqa: F401
from core.jobs.execution import (  # noqa: F401
    database_unreachable,
    execute_chunk,
    execute_job,
    finish_run,
    is_retryable,
    job_platform,
    request_env,
    retrying,
    run_in_request,
)
from core.jobs.runs import (  # noqa: F401
    JobState,
    RunOutcome,
    effective_schedule,
    job_settings,
    job_states,
    set_paused,
    set_schedule_override,
    sweep_apart,
    sweep_stale_runs,
    sweep_timed_out,
    utcnow,
)
from core.jobs.schedule import (  # noqa: F401
    SCHEDULE_HELP,
    UTC,
    Schedule,
    ScheduleError,
    job_timezone,
    manual_slot,
    parse_schedule,
    slot_of,
)
from core.jobs.spec import (  # noqa: F401
    FINAL_STATUSES,
    HARD_LIMIT_GRACE,
    RETRY_ATTEMPTS,
    SWEEP_GRACE,
    JobSpec,
    build_job_registry,
)
