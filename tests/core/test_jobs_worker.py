"""A real Celery worker with beat, as a subprocess, against the test database.

Broker: ``MUTUO_TEST_BROKER_URL`` (CI: Redis) or else the SQLite broker, as in
the embedded default. The worker gets its own queue, so stale messages from
other runs on a shared Redis cannot reach it.
"""
from __future__ import annotations

import os
import time
import uuid

import pytest
from sqlalchemy import select

from core.models.job import JobRun, JobSetting

pytestmark = pytest.mark.worker

DEADLINE = 45  # seconds; a beat-triggered run normally shows within ~10


def write_ini(path, settings: dict) -> None:
    lines = ["[app:main]", "use = egg:mutuo"]
    lines += [f"{key} = {str(value).replace('%', '%%')}" for key, value in settings.items()]
    lines += ["", "[loggers]", "keys = root", "[handlers]", "keys = console", "[formatters]", "keys = generic",
              "[logger_root]", "level = INFO", "handlers = console", "[handler_console]",
              "class = StreamHandler", "args = (sys.stderr,)", "level = NOTSET", "formatter = generic",
              "[formatter_generic]", "format = %%(asctime)s %%(levelname)s [%%(name)s] %%(message)s"]
    path.write_text("\n".join(lines) + "\n")


def wait_for(fn, deadline: float):
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        found = fn()
        if found:
            return found
        time.sleep(0.5)
    return None


def test_worker_with_beat_runs_scheduled_and_queued_jobs(mutuo_db, tmp_path):
    from celery import Celery

    from core.embedded_worker import start_embedded_worker

    broker = os.environ.get("MUTUO_TEST_BROKER_URL") or f"sqla+sqlite:///{tmp_path / 'broker.sqlite'}"
    queue = f"mutuo-test-{uuid.uuid4().hex[:10]}"
    settings = {**mutuo_db.settings,
                "celery.broker_url": broker,
                "celery.result_backend": f"db+sqlite:///{tmp_path / 'results.sqlite'}",
                "celery.task_always_eager": "false",
                "celery.task_default_queue": queue,
                "celery.worker_concurrency": "1"}
    ini = tmp_path / "worker.ini"
    write_ini(ini, settings)
    # The sample job runs every 60 s as declared; an admin's override makes it every 2 s.
    mutuo_db.transaction(lambda s: s.add(JobSetting(name="sample.count_notes", paused=False,
                                                    schedule_override="every 2 seconds")))

    def runs(**where):
        with mutuo_db.session_factory() as session:
            stmt = select(JobRun).filter_by(**where).order_by(JobRun.id)
            return list(session.scalars(stmt))

    client = Celery(broker=broker)
    log_path = tmp_path / "worker.log"
    # A folder named like a plugin package in the working directory must not be imported by the worker.
    (tmp_path / "plugins").mkdir()
    (tmp_path / "plugins" / "__init__.py").write_text("raise ImportError('the plugins folder of the working directory')\n")
    with open(log_path, "wb") as log:
        worker = start_embedded_worker(str(ini), settings, stdout=log, stderr=log, cwd=str(tmp_path))
    try:
        beat_runs = wait_for(lambda: runs(job="sample.count_notes", trigger="beat", status="succeeded"), DEADLINE)
        assert beat_runs, "no beat-triggered run within {} s; worker log:\n{}".format(
            DEADLINE, log_path.read_text(errors="replace")[-6000:])
        run = beat_runs[0]
        assert run.summary == "0 notes" and run.slot.endswith("Z") and run.task_id
        assert int(run.slot[17:19]) % 2 == 0  # an interval boundary

        # A job queued by hand through the broker (what "Run now" and `mutuo jobs run` send).
        client.send_task("core.run_job", args=("core.audit_verify", "manual:" + uuid.uuid4().hex, "manual", "test"),
                         queue=queue)
        manual = wait_for(lambda: runs(job="core.audit_verify", status="succeeded"), DEADLINE)
        assert manual, "the queued job did not run; worker log:\n" + log_path.read_text(errors="replace")[-6000:]
        assert "entries checked: chain intact" in manual[0].summary

        # Worker and beat report that they are alive (the jobs screen and `mutuo jobs list` show it).
        from core.jobs.health import liveness

        def alive():
            with mutuo_db.session_factory() as session:
                health = liveness(session, settings)
            return health if health.healthy else None

        health = wait_for(alive, DEADLINE)
        assert health, "no worker/beat heartbeat; worker log:\n" + log_path.read_text(errors="replace")[-6000:]
        assert {p.kind for p in health.processes} == {"worker", "beat"}
    finally:
        worker.terminate()
        worker.wait(timeout=20)
        if broker.startswith("redis"):  # a shared Redis keeps no trace of this run's private queue
            import redis

            db = redis.Redis.from_url(broker)
            for key in db.scan_iter(f"*{queue}*"):
                db.delete(key)
        client.close()
    assert worker.returncode is not None
    # Beat's own state stays out of the working directory.
    assert not list(tmp_path.glob("celerybeat-schedule*"))
    # No slot ran twice.
    slots = [r.slot for r in runs(job="sample.count_notes") if r.status != "skipped"]
    assert len(slots) == len(set(slots))
