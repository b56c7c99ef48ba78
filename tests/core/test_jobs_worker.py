"""A real Celery worker with beat, as a subprocess, against the test database.

Broker: ``MUTUO_TEST_BROKER_URL`` (CI: Redis) or else the SQLite broker, as in
the embedded default. The worker gets its own queue, so stale messages from
other runs on a shared Redis cannot reach it.
"""
from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from core.models.job import JobRun, JobSetting
from core.testing import wait_for

pytestmark = pytest.mark.worker

DEADLINE = 45  # seconds; a beat-triggered run normally shows within ~10


def test_worker_with_beat_runs_scheduled_and_queued_jobs(mutuo_db, tmp_path, real_worker):
    # The sample job runs every 60 s as declared; an admin's override makes it every 2 s.
    mutuo_db.transaction(lambda s: s.add(JobSetting(name="sample.count_notes", paused=False,
                                                    schedule_override="every 2 seconds")))

    def runs(**where):
        with mutuo_db.session_factory() as session:
            stmt = select(JobRun).filter_by(**where).order_by(JobRun.id)
            return list(session.scalars(stmt))

    # A folder named like a plugin package in the working directory must not be imported by the worker.
    (tmp_path / "plugins").mkdir()
    (tmp_path / "plugins" / "__init__.py").write_text("raise ImportError('the plugins folder of the working directory')\n")
    worker = real_worker(beat=True, concurrency=1)
    try:
        beat_runs = wait_for(lambda: runs(job="sample.count_notes", trigger="beat", status="succeeded"), DEADLINE)
        assert beat_runs, f"no beat-triggered run within {DEADLINE} s; worker log:\n{worker.log()}"
        run = beat_runs[0]
        assert run.summary == "0 notes" and run.slot.endswith("Z") and run.task_id
        assert int(run.slot[17:19]) % 2 == 0  # an interval boundary

        # A job queued by hand through the broker (what "Run now" and `mutuo jobs run` send).
        worker.send("core.run_job", ("core.audit_verify", "manual:" + uuid.uuid4().hex, "manual", "test"))
        manual = wait_for(lambda: runs(job="core.audit_verify", status="succeeded"), DEADLINE)
        assert manual, "the queued job did not run; worker log:\n" + worker.log()
        assert "entries checked: chain intact" in manual[0].summary

        # Worker and beat report that they are alive (the jobs screen and `mutuo jobs list` show it).
        from core.jobs.health import liveness

        def alive():
            with mutuo_db.session_factory() as session:
                health = liveness(session, worker.settings)
            return health if health.healthy else None

        health = wait_for(alive, DEADLINE)
        assert health, "no worker/beat heartbeat; worker log:\n" + worker.log()
        assert {p.kind for p in health.processes} == {"worker", "beat"}
    finally:
        worker.stop()
    assert worker.process.returncode is not None
    # Beat's own state stays out of the working directory.
    assert not list(tmp_path.glob("celerybeat-schedule*"))
