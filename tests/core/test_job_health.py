"""Heartbeats: runs whose worker died are marked lost and free their slot; dead workers and beats are visible."""
from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from core.jobs import JobSpec, execute_job, job_platform, utcnow
from core.jobs.health import liveness, note_alive, reap_lost
from core.models.job import JobRun


@pytest.fixture
def registry(mutuo_db):
    settings = {**mutuo_db.settings, "mutuo.jobs.heartbeat_seconds": "0.05"}
    reg = job_platform(settings, base=mutuo_db.registry, engine=mutuo_db.engine)
    reg.settings = settings
    reg["mutuo.jobs"] = dict(reg["mutuo.jobs"])
    yield reg


def runs(mutuo_db, job):
    with mutuo_db.session_factory() as session:
        return list(session.scalars(select(JobRun).where(JobRun.job == job).order_by(JobRun.id)))


def killed_run(mutuo_db, job="sample.count_notes", slot="2024-05-01T10:00:00Z", silent_for=timedelta(minutes=10)):
    """A run left "running" by a worker killed with kill -9: its heartbeat stopped ``silent_for`` ago."""
    now = utcnow()
    mutuo_db.transaction(lambda s: s.add(JobRun(
        job=job, slot=slot, trigger="beat", status="running", started=now - silent_for - timedelta(seconds=5),
        heartbeat_at=now - silent_for, time_limit=3600, summary="")))
    return runs(mutuo_db, job)[-1].id


def test_a_killed_run_is_marked_lost_and_its_slot_runs_again(registry, mutuo_db):
    """Before: the run stayed "running" for its whole hour and the slot was skipped as a duplicate."""
    killed = killed_run(mutuo_db)
    outcome = execute_job(registry, "sample.count_notes", "2024-05-01T10:00:00Z", "beat")
    assert outcome.status == "succeeded"
    first, second = runs(mutuo_db, "sample.count_notes")
    assert first.id == killed and first.status == "lost" and first.finished is not None
    assert "No sign of life since" in first.error and "slot is free" in first.error
    assert second.status == "succeeded" and second.slot == first.slot


def test_a_run_with_a_fresh_heartbeat_keeps_its_slot(registry, mutuo_db):
    killed_run(mutuo_db, silent_for=timedelta(seconds=10))
    outcome = execute_job(registry, "sample.count_notes", "2024-05-01T10:00:00Z", "beat")
    assert outcome.status == "skipped"
    assert runs(mutuo_db, "sample.count_notes")[0].status == "running"


def test_lost_after_is_a_setting(mutuo_db):
    killed_run(mutuo_db, silent_for=timedelta(minutes=2))
    assert mutuo_db.transaction(lambda s: reap_lost(s, lost_after=180)) == 0
    assert mutuo_db.transaction(lambda s: reap_lost(s, lost_after=60)) == 1
    assert runs(mutuo_db, "sample.count_notes")[0].status == "lost"


def test_a_running_job_refreshes_its_heartbeat_outside_its_transaction(registry, mutuo_db):
    import time

    from core.db import read_mostly

    def wait_for_heartbeat(request):
        # Read through another connection: the heartbeat is committed by its own transaction.
        with read_mostly(mutuo_db.engine).connect() as conn:
            for _ in range(600):
                started, beat = conn.execute(select(JobRun.started, JobRun.heartbeat_at)
                                             .where(JobRun.id == request.job_run_id)).one()
                conn.rollback()
                if beat > started:
                    return "heartbeat seen"
                time.sleep(0.05)
        return "no heartbeat"

    registry["mutuo.jobs"]["sample.waits"] = JobSpec("sample.waits", wait_for_heartbeat, "every 60 seconds")
    outcome = execute_job(registry, "sample.waits", "manual:hb", "cli")
    assert (outcome.status, outcome.summary) == ("succeeded", "heartbeat seen")


def test_a_lost_run_that_comes_back_records_its_real_end(registry, mutuo_db):
    def cut_off(request):  # the reaper marks this run lost while it still runs (a network partition)
        with mutuo_db.engine.begin() as conn:
            conn.execute(update(JobRun.__table__).where(JobRun.__table__.c.id == request.job_run_id)
                         .values(status="lost"))
        return "finished after all"

    registry["mutuo.jobs"]["sample.cut_off"] = JobSpec("sample.cut_off", cut_off, "every 60 seconds")
    execute_job(registry, "sample.cut_off", "manual:cut", "cli")
    [run] = runs(mutuo_db, "sample.cut_off")
    assert (run.status, run.summary) == ("succeeded", "finished after all")


def test_beat_reaps_lost_runs_at_each_scheduling_pass(registry, mutuo_db):
    from core.beat import JobScheduler

    killed_run(mutuo_db)
    scheduler = JobScheduler(app=registry["mutuo.celery"])
    scheduler.send = lambda *a: None
    scheduler.tick()
    assert runs(mutuo_db, "sample.count_notes")[0].status == "lost"


# -- worker and beat liveness ----------------------------------------------------------

def test_dead_beat_and_live_worker_are_told_apart(mutuo_db):
    now = utcnow()
    note_alive(mutuo_db.engine, "beat", "beat", now - timedelta(hours=1), now=now - timedelta(minutes=12))
    note_alive(mutuo_db.engine, "worker:celery@box", "worker", now - timedelta(hours=1), now=now - timedelta(seconds=5))
    with mutuo_db.session_factory() as session:
        health = liveness(session, mutuo_db.settings, now=now)
    assert not health.healthy
    lines = health.lines()
    assert any(line.startswith("no beat for 12 min") for line in lines)
    assert "worker celery@box last seen 5 s ago" in lines


def test_nothing_ever_reported_is_said_plainly(mutuo_db):
    with mutuo_db.session_factory() as session:
        health = liveness(session, mutuo_db.settings)
    assert not health.healthy
    assert any("no beat has ever reported" in line for line in health.lines())
    assert any("no worker has ever reported" in line for line in health.lines())


def test_jobs_screen_shows_a_dead_beat(logged_in, mutuo_db):
    now = utcnow()
    note_alive(mutuo_db.engine, "beat", "beat", now, now=now - timedelta(minutes=12))
    page = logged_in(("core.dashboard.view", "core.job.view")).get("/admin/jobs")
    block = page.html.find(id="liveness")
    assert "no beat for 12 min" in block.text and "not running" in block.text
    assert "alert-danger" in block["class"]


def test_jobs_list_cli_marks_lost_runs_and_shows_liveness(mutuo_db, tmp_path):
    from click.testing import CliRunner

    from core.cli import main

    killed_run(mutuo_db)
    now = utcnow()
    note_alive(mutuo_db.engine, "worker:celery@box", "worker", now, now=now - timedelta(minutes=30))
    ini = tmp_path / "list.ini"
    ini.write_text("[app:main]\nuse = egg:mutuo\n" + "".join(
        f"{k} = {str(v).replace('%', '%%')}\n" for k, v in mutuo_db.settings.items()))
    result = CliRunner().invoke(main, ["-c", str(ini), "jobs", "list"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "NOT RUNNING" in result.output and "no worker celery@box for 30 min" in result.output
    assert "no beat has ever reported" in result.output
    assert runs(mutuo_db, "sample.count_notes")[0].status == "lost"


# -- the embedded worker's command ------------------------------------------------------

def test_worker_command_keeps_the_working_directory_off_the_path(tmp_path, monkeypatch):
    """Before: `python -m celery` from a folder holding plugins/ (or celery/) imported that folder."""
    import core.embedded_worker
    from core.embedded_worker import worker_command

    for package in ("plugins", "celery"):
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text("print('IMPORTED FROM THE WORKING DIRECTORY')\n")
    (tmp_path / "celery" / "__main__.py").write_text("print('IMPORTED FROM THE WORKING DIRECTORY')\n")
    cmd = worker_command()
    interpreter = cmd[:cmd.index("-m")]
    probe = subprocess.run(interpreter + ["-c", "import os, sys, plugins; print(os.getcwd() in sys.path, "
                                                "'' in sys.path, plugins.__file__)"],
                           cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert probe.returncode == 0, probe.stderr
    in_path, empty_in_path, plugins_file = probe.stdout.split()
    assert (in_path, empty_in_path) == ("False", "False") and not plugins_file.startswith(str(tmp_path))
    celery = subprocess.run(interpreter + ["-m", "celery", "--version"], cwd=tmp_path, capture_output=True,
                            text=True, timeout=120)
    assert "WORKING DIRECTORY" not in celery.stdout and celery.stdout.strip()[:1].isdigit()

    started = {}
    monkeypatch.setattr(core.embedded_worker, "EmbeddedWorker", lambda cmd, env, **kw: started.update(cmd=cmd, env=env))
    core.embedded_worker.start_embedded_worker(str(tmp_path / "x.ini"), {})
    assert started["cmd"][:2] == interpreter and started["env"]["PYTHONSAFEPATH"] == "1"


def test_jobs_run_wait_on_an_unreachable_database_prints_one_line(tmp_path):
    ini = tmp_path / "down.ini"
    ini.write_text("[app:main]\nuse = egg:mutuo\nmutuo.environment = development\nmutuo.secret = s\n"
                   "sqlalchemy.url = postgresql+psycopg://nobody@127.0.0.1:1/none\nmutuo.plugins =\n")
    res = subprocess.run([sys.executable, "-m", "core.cli", "-c", str(ini), "jobs", "run",
                          "core.audit_verify", "--wait"], capture_output=True, text=True, timeout=120,
                         env={**os.environ})
    assert res.returncode == 2, res.stderr
    assert res.stderr.strip().count("\n") == 0 and "database cannot be reached" in res.stderr
    assert "Traceback" not in res.stderr
