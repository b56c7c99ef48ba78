"""Scheduled jobs in eager mode: registry, schedules, the run table, after-commit sends, beat, screens, CLI."""
from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from core.jobs import (
    JobFailed,
    JobSpec,
    ScheduleError,
    build_job_registry,
    execute_job,
    job_platform,
    parse_schedule,
    request_env,
    slot_of,
    sweep_timed_out,
    utcnow,
)
from core.models.job import JobRun, JobSetting
from core.security import StartupError
from core.testing import csrf_token

UTC = UTC


@pytest.fixture
def registry(mutuo_db):
    """The platform tasks run against in this process, with a copy of the job table tests may extend."""
    reg = job_platform(mutuo_db.settings, base=mutuo_db.registry, engine=mutuo_db.engine)
    reg["mutuo.jobs"] = dict(reg["mutuo.jobs"])
    yield reg


def add_job(registry, name, task, schedule="every 60 seconds", time_limit=60):
    registry["mutuo.jobs"][name] = JobSpec(name, task, schedule, "A test job.", time_limit)


def runs(mutuo_db, job=None):
    with mutuo_db.session_factory() as session:
        stmt = select(JobRun).order_by(JobRun.id)
        if job:
            stmt = stmt.where(JobRun.job == job)
        return list(session.scalars(stmt))


def audit_events(mutuo_db, action="job_run"):
    from core.models.audit import AuditEntry

    with mutuo_db.session_factory() as session:
        return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


# -- registry ------------------------------------------------------------------------

class StubPM:
    def __init__(self, per_plugin):
        self.per_plugin = per_plugin

    def call_per_plugin(self, hook):
        assert hook == "mutuo_jobs"
        return self.per_plugin


def noop(request):
    return "ok"


def test_registry_holds_core_and_enabled_plugin_jobs(mutuo_db):
    jobs = mutuo_db.registry["mutuo.jobs"]
    assert {"core.audit_verify", "core.documents_gc", "core.documents_verify", "sample.count_notes"} <= set(jobs)
    assert jobs["sample.count_notes"].schedule == "every 60 seconds"


def test_disabled_plugin_jobs_are_absent():
    from core.plugins import get_plugin_manager

    jobs = build_job_registry(get_plugin_manager({"mutuo.plugins": ""}))
    assert "sample.count_notes" not in jobs
    assert "core.audit_verify" in jobs


def test_duplicate_job_name_fails_startup():
    pm = StubPM([("sample", [JobSpec("sample.x", noop, "every 5 seconds"), JobSpec("sample.x", noop, "0 * * * *")])])
    with pytest.raises(StartupError, match="'sample.x' is declared twice"):
        build_job_registry(pm)


def test_job_must_carry_its_plugin_name_and_a_valid_schedule():
    with pytest.raises(StartupError, match="must be named 'sample.<job>'"):
        build_job_registry(StubPM([("sample", [JobSpec("other.x", noop, "every 5 seconds")])]))
    with pytest.raises(StartupError, match="bad schedule"):
        build_job_registry(StubPM([("sample", [JobSpec("sample.x", noop, "61 * * * *")])]))


def test_duplicate_job_fails_populate_registry(monkeypatch):
    import core.hooks
    from core.platform import populate_registry

    original = core.hooks.core_jobs
    monkeypatch.setattr(core.hooks, "core_jobs", lambda: original() + original()[:1])
    with pytest.raises(StartupError, match="declared twice"):
        populate_registry({}, {"sqlalchemy.url": "sqlite://", "mutuo.environment": "testing", "mutuo.plugins": ""})


# -- schedules --------------------------------------------------------------------------

def at(text):
    return datetime.fromisoformat(text).replace(tzinfo=UTC) if "+" not in text else datetime.fromisoformat(text)


@pytest.mark.parametrize("text, after, expected", [
    ("30 2 * * *", "2024-05-01 02:30:00", "2024-05-02 02:30:00"),
    ("30 2 * * *", "2024-05-01 02:29:59", "2024-05-01 02:30:00"),
    ("*/15 * * * *", "2024-05-01 10:07:00", "2024-05-01 10:15:00"),
    ("0 9-17/4 * * mon-fri", "2024-05-03 17:00:00", "2024-05-06 09:00:00"),  # Friday -> Monday
    ("0 0 1 jan *", "2024-05-01 00:00:00", "2025-01-01 00:00:00"),
    ("0 0 29 2 *", "2024-03-01 00:00:00", "2028-02-29 00:00:00"),
    ("0 0 13 * 5", "2024-09-06 00:00:00", "2024-09-13 00:00:00"),  # cron: day 13 OR a Friday
    ("0 0 * * 7", "2024-05-01 00:00:00", "2024-05-05 00:00:00"),  # 7 is Sunday
    ("every 2 seconds", "2024-05-01 10:00:01.5", "2024-05-01 10:00:02"),
    ("every 2 seconds", "2024-05-01 10:00:02", "2024-05-01 10:00:04"),
    ("every 15 minutes", "2024-05-01 10:07:00", "2024-05-01 10:15:00"),
    ("every 1 hour", "2024-05-01 10:07:00", "2024-05-01 11:00:00"),
])
def test_next_run(text, after, expected):
    assert parse_schedule(text).next_after(at(after)) == at(expected)


def test_crontab_is_read_in_the_company_time_zone():
    rome = ZoneInfo("Europe/Rome")
    assert parse_schedule("0 2 * * *").next_after(at("2024-07-01 12:00:00"), rome) == at("2024-07-02 00:00:00")
    assert parse_schedule("0 2 * * *").next_after(at("2024-12-01 12:00:00"), rome) == at("2024-12-02 01:00:00")


@pytest.mark.parametrize("text, message", [
    ("", "empty"),
    ("every 0 seconds", "at least 1 second"),
    ("every 5 days", "not 'every N seconds|minutes|hours'"),
    ("* * * *", "has 4 fields"),
    ("60 * * * *", "minute field '60' is out of range"),
    ("* 24 * * *", "hour field '24' is out of range"),
    ("* * * foo *", "has 'foo', not a number"),
    ("*/0 * * * *", "step that is not a positive number"),
    ("0 0 30 2 *", "never fires"),
])
def test_bad_schedules_say_why(text, message):
    with pytest.raises(ScheduleError, match=re.escape(message)) as info:
        parse_schedule(text)
    assert info.value.field == "schedule"


def test_slots_are_iso_utc_and_manual_slots_fit():
    from core.jobs import manual_slot

    assert slot_of(datetime(2024, 5, 1, 4, 30, tzinfo=ZoneInfo("Europe/Rome"))) == "2024-05-01T02:30:00Z"
    slot = manual_slot()
    assert slot.startswith("manual:") and len(slot) <= 40
    assert manual_slot() != slot


# -- the run table ----------------------------------------------------------------------

def test_a_run_is_recorded_with_its_summary_and_audited(registry, mutuo_db):
    run_job = registry["mutuo.celery"].run_job

    run_job.apply(args=("sample.count_notes", "2024-05-01T10:00:00Z", "beat", "beat"))
    [run] = runs(mutuo_db)
    assert (run.job, run.slot, run.trigger, run.status, run.summary) == (
        "sample.count_notes", "2024-05-01T10:00:00Z", "beat", "succeeded", "0 notes")
    assert run.finished >= run.started and run.time_limit == 60 and run.error is None
    event = audit_events(mutuo_db)[-1]
    assert event.actor == "job:sample.count_notes" and event.entity_id == "sample.count_notes"
    assert '"status":"succeeded"' in event.changes and '"slot":"2024-05-01T10:00:00Z"' in event.changes


def test_same_slot_twice_runs_once(registry, mutuo_db):
    calls = []
    add_job(registry, "sample.once", lambda request: calls.append(1) or "done")
    first = execute_job(registry, "sample.once", "2024-05-01T10:00:00Z", "beat", "beat")
    second = execute_job(registry, "sample.once", "2024-05-01T10:00:00Z", "manual", "someone")
    assert calls == [1]
    assert (first.status, second.status) == ("succeeded", "skipped")
    rows = runs(mutuo_db, "sample.once")
    assert [r.status for r in rows] == ["succeeded", "skipped"]
    assert f"run #{rows[0].id}" in rows[1].summary
    assert '"status":"skipped"' in audit_events(mutuo_db)[-1].changes


def test_a_slot_still_running_is_not_started_again(registry, mutuo_db):
    add_job(registry, "sample.once", noop)
    mutuo_db.transaction(lambda s: s.add(JobRun(job="sample.once", slot="S1", trigger="beat", status="running",
                                                 started=utcnow(), time_limit=60)))
    assert execute_job(registry, "sample.once", "S1", "beat").status == "skipped"


def test_failing_job_records_traceback_and_next_slot_still_runs(registry, mutuo_db):
    from mutuo_sample.models import Note

    def flaky(request):
        request.dbsession.add(Note(title="half-written"))
        request.dbsession.flush()
        if not flaky.failed:
            flaky.failed = True
            raise RuntimeError("the bank file is malformed")
        return "2 loans closed"

    flaky.failed = False
    add_job(registry, "sample.flaky", flaky)
    failed = execute_job(registry, "sample.flaky", "2024-05-01T10:00:00Z", "beat")
    ok = execute_job(registry, "sample.flaky", "2024-05-01T10:01:00Z", "beat")
    assert (failed.status, ok.status) == ("failed", "succeeded")
    first, second = runs(mutuo_db, "sample.flaky")
    assert first.status == "failed" and first.summary == "RuntimeError: the bank file is malformed"
    assert "Traceback (most recent call last)" in first.error and "in flaky" in first.error
    assert second.status == "succeeded" and second.summary == "2 loans closed"
    with mutuo_db.session_factory() as session:  # the failed run's writes were rolled back
        assert session.scalar(select(func.count(Note.id))) == 1


def test_job_failed_gives_the_summary(registry, mutuo_db):
    def refuse(request):
        raise JobFailed("3 payments could not be matched")

    add_job(registry, "sample.refuse", refuse)
    outcome = execute_job(registry, "sample.refuse", "S", "beat")
    assert outcome.status == "failed" and outcome.summary == "3 payments could not be matched"
    assert "JobFailed" in runs(mutuo_db, "sample.refuse")[0].error


def test_a_job_runs_in_its_own_transaction_as_its_own_actor(registry, mutuo_db):
    from core.models.audit import AuditEntry
    from mutuo_sample.models import Note

    def write(request):
        assert request.job_name == "sample.writer" and request.job_slot == "S"
        request.dbsession.add(Note(title="from a job"))
        return "1 note written"

    add_job(registry, "sample.writer", write)
    assert execute_job(registry, "sample.writer", "S", "beat").status == "succeeded"
    with mutuo_db.session_factory() as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.entity_type == "sample.note")
                                .order_by(AuditEntry.id.desc())).first()
        assert entry.action == "insert" and entry.actor == "job:sample.writer"


def busy_error(code: int = 5, message: str = "database is locked"):
    # What SQLite raises when another writer holds the lock: SQLITE_BUSY (5).
    import sqlite3

    from sqlalchemy.exc import OperationalError

    orig = sqlite3.OperationalError(message)
    orig.sqlite_errorcode = code
    return OperationalError("UPDATE loan", {}, orig)


def test_serialization_errors_are_retried(registry, mutuo_db):
    attempts = []

    def contended(request):
        attempts.append(1)
        if len(attempts) < 3:
            raise busy_error()
        return "done"

    add_job(registry, "sample.contended", contended)
    assert execute_job(registry, "sample.contended", "S", "beat").status == "succeeded"
    assert len(attempts) == 3


def test_other_errors_are_not_retried(registry):
    attempts = []

    def broken(request):
        attempts.append(1)
        raise ValueError("no")

    add_job(registry, "sample.broken", broken)
    assert execute_job(registry, "sample.broken", "S", "beat").status == "failed"
    assert attempts == [1]


def test_soft_time_limit_marks_the_run_timed_out(registry, mutuo_db):
    from celery.exceptions import SoftTimeLimitExceeded

    def slow(request):
        raise SoftTimeLimitExceeded()

    add_job(registry, "sample.slow", slow)
    outcome = execute_job(registry, "sample.slow", "S", "beat")
    assert outcome.status == "timed_out" and "time limit of 60 s" in outcome.summary


def test_sweep_marks_runs_left_running_as_timed_out(registry, mutuo_db):
    long_ago = utcnow() - timedelta(hours=2)
    mutuo_db.transaction(lambda s: s.add_all([
        JobRun(job="sample.count_notes", slot="old", trigger="beat", status="running", started=long_ago, time_limit=60),
        JobRun(job="sample.count_notes", slot="fresh", trigger="beat", status="running", started=utcnow(), time_limit=60),
    ]))
    assert mutuo_db.transaction(sweep_timed_out) == 1
    by_slot = {r.slot: r for r in runs(mutuo_db)}
    assert by_slot["old"].status == "timed_out" and "time limit" in by_slot["old"].error
    assert by_slot["fresh"].status == "running"
    # The timed-out slot still counts as taken.
    assert execute_job(registry, "sample.count_notes", "old", "beat").status == "skipped"


def test_each_run_sweeps_first(registry, mutuo_db):
    mutuo_db.transaction(lambda s: s.add(JobRun(job="core.audit_verify", slot="killed", trigger="beat",
                                                status="running", started=utcnow() - timedelta(days=1),
                                                time_limit=3600)))
    execute_job(registry, "sample.count_notes", "S", "beat")
    assert {r.slot: r.status for r in runs(mutuo_db)}["killed"] == "timed_out"


def test_a_late_finish_does_not_overwrite_timed_out(registry, mutuo_db):
    def killed_meanwhile(request):
        # The sweep (another process) gives up on this run while it is still working.
        run_id = request.job_run_id
        mutuo_db.transaction(lambda s: s.get(JobRun, run_id).__setattr__("status", "timed_out"))
        return "finished late"

    add_job(registry, "sample.late", killed_meanwhile)
    execute_job(registry, "sample.late", "S", "beat")
    assert runs(mutuo_db, "sample.late")[0].status == "timed_out"


def test_unknown_job_is_not_run(registry, mutuo_db):
    assert execute_job(registry, "sample.nope", "S", "beat").status == "unknown"
    assert runs(mutuo_db) == []


# -- sending after commit -----------------------------------------------------------------

def test_task_enqueued_in_an_aborted_transaction_is_never_sent(registry, mutuo_db):
    from core.celery_app import enqueue_job

    run_job = registry["mutuo.celery"].run_job

    with request_env(registry, "test") as request:
        request.tm.begin()
        enqueue_job("sample.count_notes", "manual", "t", slot="aborted-1", request=request)
        run_job.apply_async(("sample.count_notes", "aborted-2", "manual", "t"))  # deferred too
        assert runs(mutuo_db) == []  # nothing before the commit
        request.tm.abort()
    assert runs(mutuo_db) == []

    with request_env(registry, "test") as request, request.tm:
        enqueue_job("sample.count_notes", "manual", "t", slot="committed-1", request=request)
        run_job.apply_async(("sample.count_notes", "committed-2", "manual", "t"))
        assert runs(mutuo_db) == []
    assert sorted(r.slot for r in runs(mutuo_db)) == ["committed-1", "committed-2"]


def test_a_failed_web_request_sends_nothing(logged_in, mutuo_db, monkeypatch):
    import core.web.job_views

    app = logged_in(permissions=("core.dashboard.view", "core.job.view", "core.job.run"))
    token = csrf_token(app)

    def explode(*args, **kwargs):
        raise RuntimeError("the view fails after enqueueing")

    monkeypatch.setattr(core.web.job_views, "record_event", explode)
    app.post("/admin/jobs/sample.count_notes/run", {"csrf_token": token}, status=500)
    assert runs(mutuo_db) == []


def test_tasks_take_ids_not_orm_objects(registry, mutuo_db):
    from mutuo_sample.models import Note

    run_job = registry["mutuo.celery"].run_job

    with pytest.raises(TypeError, match="tasks take ids"):
        run_job.apply_async((Note(title="x"), "S", "beat"))


def test_custom_tasks_get_a_request_and_a_transaction(registry, mutuo_db):
    from core.celery_app import task
    from mutuo_sample.models import Note

    @task(name="tests.add_note")
    def add_note(request, title):
        request.dbsession.add(Note(title=title))
        return request.dbsession.info["actor"].name

    assert add_note.apply(args=("via a task",)).get() == "task:tests.add_note"
    with mutuo_db.session_factory() as session:
        assert session.scalar(select(Note.title)) == "via a task"


# -- beat ------------------------------------------------------------------------------

class Clock:
    def __init__(self, now):
        self.value = now

    def __call__(self):
        return self.value


@pytest.fixture
def scheduler(registry, monkeypatch):
    from core.beat import JobScheduler

    clock = Clock(at("2024-05-01 10:00:00.500"))
    monkeypatch.setattr(JobScheduler, "now", lambda self: clock())
    sched = JobScheduler(app=registry["mutuo.celery"])
    sched.clock = clock
    sched.sent, sched.sent_core = [], []
    # Core's own every-minute job (core.deliver_messages) is recorded apart: these tests follow the sample's.
    sched.send = lambda name, fire, limit: (sched.sent_core if name.startswith("core.") else sched.sent).append(
        (name, slot_of(fire)))
    return sched


def set_job(mutuo_db, name, **values):
    def change(session):
        setting = session.get(JobSetting, name) or JobSetting(name=name, paused=False)
        for key, value in values.items():
            setattr(setting, key, value)
        session.add(setting)

    mutuo_db.transaction(change)


def test_beat_plans_every_enabled_job(scheduler):
    assert {"core.audit_verify", "core.documents_gc", "core.documents_verify", "sample.count_notes"} <= set(scheduler.planned)
    assert scheduler.planned["sample.count_notes"].next == at("2024-05-01 10:01:00")
    scheduler.clock.value = at("2024-05-01 10:01:00.2")
    wait = scheduler.tick()
    assert scheduler.sent == [("sample.count_notes", "2024-05-01T10:01:00Z")]
    assert scheduler.sent_core == [("core.deliver_messages", "2024-05-01T10:01:00Z"),
                                   ("core.deliver_webhooks", "2024-05-01T10:01:00Z")]
    assert 0 < wait <= 5
    scheduler.tick()  # the same slot is not sent twice by one beat
    assert len(scheduler.sent) == 1


def test_pause_and_override_take_effect_without_a_restart(scheduler, mutuo_db):
    scheduler.refresh_every = 0  # re-read on every tick (5 s in production)
    set_job(mutuo_db, "sample.count_notes", schedule_override="every 2 seconds")
    scheduler.tick()
    assert scheduler.planned["sample.count_notes"].text == "every 2 seconds"
    scheduler.clock.value = at("2024-05-01 10:00:02.1")
    scheduler.tick()
    scheduler.clock.value = at("2024-05-01 10:00:04.1")
    scheduler.tick()
    assert scheduler.sent == [("sample.count_notes", "2024-05-01T10:00:02Z"),
                              ("sample.count_notes", "2024-05-01T10:00:04Z")]

    set_job(mutuo_db, "sample.count_notes", paused=True)
    scheduler.clock.value = at("2024-05-01 10:00:06.1")
    scheduler.tick()
    assert "sample.count_notes" not in scheduler.planned and len(scheduler.sent) == 2

    set_job(mutuo_db, "sample.count_notes", paused=False, schedule_override=None)
    scheduler.tick()
    assert scheduler.planned["sample.count_notes"].next == at("2024-05-01 10:01:00")


def test_settings_are_re_read_every_few_seconds_not_every_tick(scheduler, mutuo_db, monkeypatch):
    import core.beat

    clock = {"t": 1000.0}
    monkeypatch.setattr(core.beat.time, "monotonic", lambda: clock["t"])
    scheduler.refresh(force=True)
    set_job(mutuo_db, "sample.count_notes", paused=True)
    clock["t"] += 1
    scheduler.tick()
    assert "sample.count_notes" in scheduler.planned
    clock["t"] += scheduler.refresh_every
    scheduler.tick()
    assert "sample.count_notes" not in scheduler.planned


def test_beat_sends_run_job_with_the_slot(registry, mutuo_db):
    from core.beat import JobScheduler

    sched = JobScheduler(app=registry["mutuo.celery"])
    sched.send("sample.count_notes", at("2024-05-01 10:01:00"), 60)  # eager: runs here
    [run] = runs(mutuo_db)
    assert (run.slot, run.trigger, run.triggered_by, run.status) == ("2024-05-01T10:01:00Z", "beat", "beat", "succeeded")


# -- core's own jobs --------------------------------------------------------------------

def test_audit_verify_job(registry, mutuo_db):
    outcome = execute_job(registry, "core.audit_verify", "S", "cli")
    assert outcome.status == "succeeded"
    assert re.fullmatch(r"[\d,]+ entries checked: chain intact(; agrees with \d+ checkpoint\(s\))?", outcome.summary)


def test_audit_verify_fails_loudly_on_a_broken_chain(registry, mutuo_db, monkeypatch, caplog):
    import core.audit

    monkeypatch.setattr(core.audit, "verify_chain",
                        lambda conn, **kw: core.audit.VerifyResult(41, 42, "its content does not match its hash"))
    with caplog.at_level(logging.ERROR, logger="core.audit_checkpoints"):
        outcome = execute_job(registry, "core.audit_verify", "S", "cli")
    assert outcome.status == "failed"
    assert outcome.summary.startswith("Audit chain broken: 41 entries checked; entry 42 does not match")
    assert any(r.levelno == logging.ERROR and "AUDIT CHAIN BROKEN" in r.getMessage() and "entry 42" in r.getMessage()
               for r in caplog.records)


def _documents_or_skip():
    try:
        import core.documents as documents
    except ImportError as exc:
        pytest.skip(f"core/documents.py is not there yet ({exc})")
    if not all(hasattr(documents, n) for n in ("gc", "verify", "blob_store")):
        pytest.skip("core.documents has no gc/verify/blob_store yet")
    return documents


def test_documents_jobs(registry, mutuo_db):
    _documents_or_skip()
    gc = execute_job(registry, "core.documents_gc", "S", "cli")
    assert gc.status == "succeeded", gc.error
    assert gc.summary.startswith("0 unreferenced files removed")
    check = execute_job(registry, "core.documents_verify", "S", "cli")
    assert check.status == "succeeded", check.error
    assert "all intact" in check.summary


def test_documents_verify_fails_on_a_corrupt_blob(registry, mutuo_db):
    documents = _documents_or_skip()
    import io

    store = documents.blob_store(registry)
    sha, _ = store.put(io.BytesIO(b"a stored file"))
    with open(store.path(sha), "wb") as fh:
        fh.write(b"tampered")
    try:
        outcome = execute_job(registry, "core.documents_verify", "S", "cli")
        assert outcome.status == "failed" and "1 corrupt" in outcome.summary
    finally:
        store.delete(sha)


# -- screens ---------------------------------------------------------------------------

def test_jobs_screens_need_their_permissions(testapp, logged_in):
    assert testapp.get("/admin/jobs", status=302).location.startswith("http://localhost/login")
    app = logged_in(permissions=("core.dashboard.view",))
    app.get("/admin/jobs", status=403)
    app.get("/admin/jobs/core.audit_verify", status=403)
    token = csrf_token(app)
    app.post("/admin/jobs/core.audit_verify/run", {"csrf_token": token}, status=403)


def test_viewer_sees_jobs_but_cannot_run_or_pause(logged_in, mutuo_db):
    app = logged_in(permissions=("core.dashboard.view", "core.job.view",))
    page = app.get("/admin/jobs")
    row = page.html.find("tr", {"data-job": "core.audit_verify"})
    assert "15 2 * * *" in row.text and "UTC" in row.text  # schedule and next run
    assert page.html.find("tr", {"data-job": "sample.count_notes"}) is not None
    job = app.get("/admin/jobs/core.audit_verify")
    assert job.html.find(id="run-now") is None and job.html.find(id="pause") is None
    token = csrf_token(app)
    app.post("/admin/jobs/core.audit_verify/run", {"csrf_token": token}, status=403)
    app.post("/admin/jobs/core.audit_verify/pause", {"csrf_token": token, "paused": "1"}, status=403)
    app.get("/admin/jobs/core.audit_verify/schedule", status=403)
    app.get("/admin/jobs/no.such_job", status=404)


def test_run_now_shows_a_succeeded_run_with_its_summary(logged_in, mutuo_db):
    app = logged_in(permissions=("core.dashboard.view", "core.job.view", "core.job.run"))
    page = app.get("/admin/jobs/core.audit_verify")
    form = next(f for f in page.forms.values() if f.action.endswith("/run"))
    result = form.submit(status=302).follow()
    assert "queued" in result.text
    [run] = runs(mutuo_db, "core.audit_verify")
    assert run.status == "succeeded" and run.trigger == "manual" and run.triggered_by == app.username
    assert run.slot.startswith("manual:")
    assert "entries checked: chain intact" in result.html.find("table", {"class": "listing"}).text
    assert audit_events(mutuo_db, "job_requested")[-1].actor == app.username
    # A second "Run now" is a run of its own.
    form.submit(status=302)
    assert len(runs(mutuo_db, "core.audit_verify")) == 2


def test_pause_resume_and_schedule_override(logged_in, mutuo_db):
    app = logged_in(permissions=("core.dashboard.view", "core.job.view", "core.job.manage"))
    token = csrf_token(app)
    app.post("/admin/jobs/sample.count_notes/pause", {"csrf_token": token, "paused": "1"}, status=302)
    with mutuo_db.session_factory() as session:
        assert session.get(JobSetting, "sample.count_notes").paused
    row = app.get("/admin/jobs").html.find("tr", {"data-job": "sample.count_notes"})
    assert "paused" in row.text

    form = app.get("/admin/jobs/sample.count_notes/schedule").forms["deform"]
    form["schedule"] = "every 5 fortnights"
    bad = form.submit("save", status=400)
    assert "not &#39;every N seconds|minutes|hours&#39;" in bad.text or "not 'every N seconds|minutes|hours'" in bad.text
    form = bad.forms["deform"]
    form["schedule"] = "*/10 * * * *"
    form.submit("save", status=302)
    with mutuo_db.session_factory() as session:
        assert session.get(JobSetting, "sample.count_notes").schedule_override == "*/10 * * * *"
    job = app.get("/admin/jobs/sample.count_notes")
    assert "override" in job.text and "*/10 * * * *" in job.text

    app.post("/admin/jobs/sample.count_notes/pause", {"csrf_token": token, "paused": "0"}, status=302)
    form = app.get("/admin/jobs/sample.count_notes/schedule").forms["deform"]
    assert form["schedule"].value == "*/10 * * * *"
    form["schedule"] = ""
    form.submit("save", status=302)
    with mutuo_db.session_factory() as session:
        setting = session.get(JobSetting, "sample.count_notes")
        assert not setting.paused and setting.schedule_override is None
    # Setting changes are audited like any record.
    from core.models.audit import AuditEntry

    with mutuo_db.session_factory() as session:
        assert session.scalar(select(func.count()).where(AuditEntry.entity_type == "core.job_setting")) >= 3


def test_tracebacks_are_shown_to_managers_only(logged_in, make_user, mutuo_db, testapp):
    from core.testing import login

    def add(session):
        run = JobRun(job="sample.count_notes", slot="S", trigger="beat", status="failed", started=utcnow(),
                     finished=utcnow(), summary="RuntimeError: secret internals",
                     error="Traceback (most recent call last):\nRuntimeError: secret internals", time_limit=60)
        session.add(run)
        session.flush()
        return run.id

    run_id = mutuo_db.transaction(add)
    url = f"/admin/jobs/sample.count_notes/runs/{run_id}"
    viewer = logged_in(permissions=("core.dashboard.view", "core.job.view",))
    page = viewer.get(url)
    assert page.html.find(id="run-error") is None and "core.job.manage" in page.text
    assert "Traceback" not in viewer.get("/admin/jobs/sample.count_notes").text
    assert "Traceback" not in viewer.get("/admin/jobs/sample.count_notes?format=csv").text

    viewer.get("/logout", status="*")
    name, password = make_user(permissions=("core.dashboard.view", "core.job.view", "core.job.manage"))
    testapp.reset()
    login(testapp, name, password)
    assert "Traceback (most recent call last)" in testapp.get(url).html.find(id="run-error").text
    assert "RuntimeError: secret internals" in testapp.get("/admin/jobs/sample.count_notes").text


def test_run_history_pages_and_exports(logged_in, mutuo_db):
    mutuo_db.transaction(lambda s: s.add_all([
        JobRun(job="sample.count_notes", slot=f"2024-05-01T10:{i:02d}:00Z", trigger="beat", status="succeeded",
               started=utcnow(), finished=utcnow(), summary=f"{i} notes", time_limit=60) for i in range(30)]))
    app = logged_in(permissions=("core.dashboard.view", "core.job.view",))
    page = app.get("/admin/jobs/sample.count_notes")
    assert "30 found" in page.text and "Page 1 of 2" in page.text
    csv = app.get("/admin/jobs/sample.count_notes?format=csv")
    assert csv.content_type == "text/csv" and csv.text.count("\n") == 31
    assert app.get("/admin/jobs/sample.count_notes?status=failed").html.find(class_="list-total").text.startswith("0")


def test_jobs_screen_sweeps_runs_left_running(logged_in, mutuo_db):
    mutuo_db.transaction(lambda s: s.add(JobRun(job="sample.count_notes", slot="killed", trigger="beat",
                                                status="running", started=utcnow() - timedelta(hours=1),
                                                time_limit=60)))
    app = logged_in(permissions=("core.dashboard.view", "core.job.view",))
    row = app.get("/admin/jobs").html.find("tr", {"data-job": "sample.count_notes"})
    assert "timed out" in row.text
    assert runs(mutuo_db)[0].status == "timed_out"


def test_menu_has_jobs_for_viewers(logged_in):
    app = logged_in(permissions=("core.dashboard.view", "core.job.view",))
    assert "/admin/jobs" in app.get("/admin/jobs").text


# -- CLI --------------------------------------------------------------------------------

@pytest.fixture
def cli(mutuo_db, registry, tmp_path):
    from click.testing import CliRunner

    from core.cli import main

    ini = tmp_path / "jobs-test.ini"
    settings = dict(mutuo_db.settings.items())
    lines = ["[app:main]", "use = egg:mutuo"] + [f"{k} = {str(v).replace('%', '%%')}" for k, v in settings.items()]
    ini.write_text("\n".join(lines) + "\n")
    runner = CliRunner()

    def run(*args):
        return runner.invoke(main, ["-c", str(ini), *args], catch_exceptions=False)

    return run


def test_cli_list_run_and_fail(cli, mutuo_db, monkeypatch):
    result = cli("jobs", "list")
    assert result.exit_code == 0, result.output
    assert "core.audit_verify" in result.output and "sample.count_notes" in result.output
    assert "every 60 seconds" in result.output and "never" in result.output

    result = cli("jobs", "run", "core.audit_verify", "--wait")
    assert result.exit_code == 0, result.output
    assert "core.audit_verify: succeeded" in result.output and "chain intact" in result.output
    [run] = runs(mutuo_db, "core.audit_verify")
    assert run.trigger == "cli" and run.triggered_by.startswith("cli")

    assert "succeeded" in cli("jobs", "list").output

    result = cli("jobs", "run", "no.such_job")
    assert result.exit_code == 2 and result.output.strip().count("\n") == 0
    assert "no job named 'no.such_job'" in result.output

    import core.audit_checkpoints

    def broken(request):
        raise JobFailed("the chain is broken")

    monkeypatch.setattr(core.audit_checkpoints, "audit_verify", broken)
    result = cli("jobs", "run", "core.audit_verify", "--wait")
    assert result.exit_code == 1 and "failed" in result.output and "the chain is broken" in result.output


def test_cli_run_without_wait_goes_through_celery(cli, mutuo_db):
    # The test settings run Celery eagerly, so the queued run has already happened.
    result = cli("jobs", "run", "sample.count_notes")
    assert result.exit_code == 0, result.output
    assert "sample.count_notes: succeeded" in result.output
    assert runs(mutuo_db, "sample.count_notes")[0].trigger == "cli"


def test_cli_pause_resume_schedule(cli, mutuo_db):
    assert cli("jobs", "pause", "sample.count_notes").exit_code == 0
    assert "yes" in [line for line in cli("jobs", "list").output.splitlines() if "sample.count_notes" in line][0]
    assert cli("jobs", "schedule", "sample.count_notes", "every 5 minutes").exit_code == 0
    result = cli("jobs", "schedule", "sample.count_notes", "every 5 fortnights")
    assert result.exit_code == 1 and "every N seconds|minutes|hours" in result.output
    assert cli("jobs", "resume", "sample.count_notes").exit_code == 0
    with mutuo_db.session_factory() as session:
        setting = session.get(JobSetting, "sample.count_notes")
        assert not setting.paused and setting.schedule_override == "every 5 minutes"


def test_celery_settings_are_typed():
    from core.celery_app import celery_settings

    conf = celery_settings({"celery.task_always_eager": "false", "celery.worker_concurrency": "2",
                            "celery.broker_transport_options": '{"visibility_timeout": 3600}',
                            "celery.accept_content": "json, msgpack", "mutuo.timezone": "Europe/Rome"})
    assert conf["task_always_eager"] is False and conf["worker_concurrency"] == 2
    assert conf["broker_transport_options"] == {"visibility_timeout": 3600}
    assert conf["accept_content"] == ["json", "msgpack"] and conf["timezone"] == "Europe/Rome"
    assert conf["beat_scheduler"] == "core.beat:JobScheduler"


def test_one_retry_rule_by_error_code_not_message():
    import sqlite3

    from sqlalchemy.exc import OperationalError

    from core.db import is_retryable

    class PgError(Exception):
        def __init__(self, sqlstate):
            super().__init__("some text")
            self.sqlstate = sqlstate

    assert is_retryable(busy_error())
    assert is_retryable(busy_error(6 | (1 << 8), "database table is locked"))  # SQLITE_LOCKED_SHAREDCACHE
    # The code decides, not the words: an I/O error that mentions a lock is not retried.
    assert not is_retryable(busy_error(10, "disk I/O error: database is locked"))
    assert is_retryable(OperationalError("UPDATE", {}, PgError("40001")))
    assert is_retryable(OperationalError("UPDATE", {}, PgError("40P01")))
    assert not is_retryable(OperationalError("UPDATE", {}, PgError("23505")))
    assert not is_retryable(ValueError("database is locked"))
    missing_table = sqlite3.OperationalError("no such table: x")
    missing_table.sqlite_errorcode = 1  # SQLITE_ERROR
    assert not is_retryable(OperationalError("SELECT", {}, missing_table))
