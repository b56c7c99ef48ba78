"""Close of business and the assignment as chunked jobs: the same rows as one transaction, once per slot.

The book: eighteen loans, forty-two days after its last close. Close of business
catches up forty-one business dates (penalties, buckets, cases opened,
re-staged and resolved by collections' listener), then the assignment spreads
the waiting cases over five collectors. The single path is
the services called in one transaction (rolled back after its rows are read);
the chunked path is the jobs as a worker runs them, in chunks of 5 loans/cases.
"""
from __future__ import annotations

import os
import threading
from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from sqlalchemy import select

from core.audit import Actor, set_actor
from core.jobs import execute_chunk, execute_job, job_platform, manual_slot
from core.models.job import JobChunk, JobRun
from core.testing import race
from plugins.collections.models import Assignment, BucketChange, Case, StageEntry
from plugins.lending.models import BusinessDate, Installment, Loan
from tests.plugins.collections.conftest import DISBURSED

CLOSED = date(2025, 2, 10)  # the book's last closed date
LATER = date(2025, 3, 24)  # forty-two days later: loans fall overdue, roll from early to mid, one pays up


@pytest.fixture
def book(mutuo_db, session, clock):
    """Eighteen loans of six sizes in three regions, a team of five collectors, closed up to CLOSED."""
    from plugins.collections.testing import close, make_collector, pay_overdue
    from plugins.lending.testing import World

    world = World(session, mutuo_db.documents, clock)
    clock.day = date(2025, 1, 10)
    for name, stages, region in (("ana", ("early",), "North"), ("ben", ("early", "mid"), ""),
                                 ("cai", ("early",), "South"), ("dia", ("mid",), "North"), ("eva", ("late",), "")):
        make_collector(session, name, stages, region)
    loans = [world.loan(disbursed_on=DISBURSED, amount=D(1000 * (1 + n % 6)),
                        borrower=world.customer(region=("North", "South", "East")[n % 3])) for n in range(18)]
    close(session, CLOSED, start=CLOSED)
    session.commit()
    clock.day = date(2025, 3, 18)
    pay_overdue(session, loans[4], date(2025, 3, 18), "paid-up")  # its case resolves on the next close
    session.commit()
    clock.day = LATER
    return mutuo_db


def registry_of(mutuo_db, **settings):
    return job_platform({**mutuo_db.settings, "mutuo.timezone": "UTC", "mutuo.jobs.chunk_size": "5", **settings},
                        base=mutuo_db.registry, engine=mutuo_db.engine)


def snapshot(session) -> dict:
    """Every row the two jobs write, keyed by what does not depend on insertion order (loans, not case ids)."""
    def rows(stmt):
        return sorted(tuple(str(v) for v in row) for row in session.execute(stmt))

    return {
        "loans": rows(select(Loan.id, Loan.status, Loan.days_past_due, Loan.bucket, Loan.penalty_accrued)),
        "installments": rows(select(Installment.id, Installment.penalty_accrued)),
        "dates": rows(select(BusinessDate.business_date, BusinessDate.loans, BusinessDate.bucket_changes,
                             BusinessDate.penalty_accrued)),
        "cases": rows(select(Case.loan_id, Case.status, Case.stage, Case.bucket, Case.collector_id,
                             Case.needs_assignment, Case.overdue_amount, Case.opened_on, Case.stage_since,
                             Case.closed_on)),
        "stage_entries": rows(select(Case.loan_id, StageEntry.stage, StageEntry.bucket, StageEntry.entered_on,
                                     StageEntry.left_on, StageEntry.overdue_at_entry).join(Case)),
        "bucket_changes": rows(select(BucketChange.loan_id, BucketChange.old_bucket, BucketChange.new_bucket,
                                      BucketChange.days_past_due, BucketChange.changed_on)),
        "assignments": rows(select(Case.loan_id, Assignment.collector_id, Assignment.previous_id, Assignment.stage,
                                   Assignment.reason).join(Case, Case.id == Assignment.case_id)),
    }


def single_path(mutuo_db, assign: bool = True) -> dict:
    """Both services (or close of business alone) in one transaction, the rows read, everything rolled back."""
    from plugins.collections.services import assign_cases
    from plugins.lending.services import close_of_business

    session = mutuo_db.session_factory()
    try:
        set_actor(session, Actor(None, "test:single"))
        closed = close_of_business(session)
        assert closed.days
        assert not assign or sum(assign_cases(session).assigned.values()) > 0
        session.flush()
        return snapshot(session)
    finally:
        session.rollback()
        session.close()


def read(mutuo_db) -> dict:
    with mutuo_db.session_factory() as session:
        return snapshot(session)


def test_chunked_close_of_business_and_assignment_give_the_single_transactions_rows(book):
    expected = single_path(book)
    registry = registry_of(book)
    cob = execute_job(registry, "lending.close_of_business", manual_slot(), "manual", "test")
    assert cob.status == "succeeded", cob.error
    assign = execute_job(registry, "collections.assign_cases", manual_slot(), "manual", "test")
    assert assign.status == "succeeded", assign.error
    with book.session_factory() as session:
        chunks = session.scalars(select(JobChunk).where(JobChunk.run_id.in_((cob.run_id, assign.run_id)))).all()
    assert len([c for c in chunks if c.run_id == cob.run_id]) > 2, "the book should need several chunks"
    assert {c.status for c in chunks} == {"done"}
    got = read(book)
    for table in expected:
        assert got[table] == expected[table], table
    assert cob.summary.startswith("closed 41 business dates") and "cases assigned" in assign.summary


def test_a_slot_runs_once_and_a_redelivered_chunk_does_nothing_even_concurrently(book, clock, monkeypatch):
    from core.jobs import execution

    clock.day = date(2025, 2, 25)  # fifteen days to close: cases open, none rolls yet
    expected = single_path(book, assign=False)
    registry = registry_of(book)
    planned = []
    # A worker that planned the run but whose chunk messages are still in the broker.
    monkeypatch.setattr(execution, "dispatch", lambda reg, run_id, count, limit: planned.append((run_id, count)))
    slot = "2030-01-01T00:30:00Z"
    outcomes, errors = race(book, lambda session, n, barrier: (
        barrier.wait(), execute_job(registry, "lending.close_of_business", slot, "beat"))[1], count=3)
    assert not errors
    assert sorted(o.status for o in outcomes) == ["running", "skipped", "skipped"]
    [(run_id, count)] = planned
    assert count > 2
    # Every chunk delivered three times at once (a redelivery, a second worker): each is done once.
    results: list[str] = []
    guard = threading.Lock()

    def deliver(seq):
        status = execute_chunk(registry, run_id, seq)
        with guard:
            results.append(status)

    threads = [threading.Thread(target=deliver, args=(seq,)) for seq in range(count) for _copy in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results).count("done") == count and set(results) <= {"done", "already", "gone"}
    assert execute_chunk(registry, run_id, 0) == "gone"  # the run has ended
    with book.session_factory() as session:
        run = session.get(JobRun, run_id)
        assert run.status == "succeeded" and run.chunks_pending == 0, run.error
    # The same slot again (a restarted beat): skipped, nothing applied twice.
    again = execute_job(registry, "lending.close_of_business", slot, "beat")
    assert again.status == "skipped"
    got = read(book)
    for table in ("loans", "installments", "dates", "cases", "stage_entries", "bucket_changes"):
        assert got[table] == expected[table], table


def test_a_failing_chunk_fails_the_run_and_keeps_the_others_work(book, clock, monkeypatch, logged_in):
    from plugins.lending.services import cob

    clock.day = date(2025, 2, 14)
    registry = registry_of(book)
    real = cob.close_chunk

    def flaky(session, args):
        if args.get("lo") is None:  # the first range
            raise RuntimeError("disk on fire")
        return real(session, args)

    monkeypatch.setattr(cob, "close_chunk", flaky)
    outcome = execute_job(registry, "lending.close_of_business", manual_slot(), "manual", "test")
    assert outcome.status == "failed"
    assert "1 of" in outcome.summary and "disk on fire" in outcome.summary
    with book.session_factory() as session:
        statuses = [c.status for c in session.scalars(select(JobChunk).where(JobChunk.run_id == outcome.run_id)
                                                      .order_by(JobChunk.seq))]
    assert statuses[0] == "failed" and set(statuses[1:]) == {"done"}
    # The run's page says how its chunks went (the error, with each failed chunk, for managers).
    admin = logged_in(permissions=("core.dashboard.view", "core.job.view", "core.job.manage"))
    page = admin.get(f"/admin/jobs/lending.close_of_business/runs/{outcome.run_id}")
    assert " ".join(page.html.find(id="run-chunks").text.split()) == f"{len(statuses) - 1} done, 0 waiting, 1 failed"
    assert "chunk 0" in page.html.find(id="run-error").text


@pytest.mark.worker
@pytest.mark.skipif(not os.environ.get("MUTUO_TEST_BROKER_URL"),
                    reason="chunks through Celery need a real broker (MUTUO_TEST_BROKER_URL); the embedded "
                           "default runs them inline, as the tests above do")
def test_real_workers_run_the_chunks_from_the_broker(mutuo_db, session, clock, real_worker):
    """``mutuo.jobs.chunks = celery``: a worker of two processes takes the chunks from the broker (CI: Redis)."""
    from core.testing import wait_for
    from plugins.collections.testing import close, make_collector
    from plugins.lending.testing import World

    # A book whose dates follow the real calendar: the worker's clock is the system's.
    today = date.today()
    world = World(session, mutuo_db.documents, clock)
    start = today - timedelta(days=45)  # first instalments fall due 12 days before today
    clock.day = start
    for name, stages, region in (("ana", ("early",), "North"), ("ben", ("early", "mid"), "")):
        make_collector(session, name, stages, region)
    for n in range(12):
        world.loan(disbursed_on=start + timedelta(days=3), amount=D(1000 * (1 + n % 4)),
                   borrower=world.customer(region=("North", "South")[n % 2]))
    close(session, start + timedelta(days=20), start=start + timedelta(days=20))
    session.commit()
    clock.day = None  # the real date, as in the worker
    expected = single_path(mutuo_db)

    worker = real_worker(concurrency=2, **{"mutuo.jobs.chunks": "celery", "mutuo.jobs.chunk_size": "4",
                                           "mutuo.timezone": "UTC"})

    def finished(name):
        def done():
            with mutuo_db.session_factory() as s:
                run = s.scalars(select(JobRun).where(JobRun.job == name)).first()
            return run if run is not None and run.status != "running" else None
        run = wait_for(done, 60)
        assert run is not None, f"{name} did not finish; worker log:\n" + worker.log()
        return run

    for name in ("lending.close_of_business", "collections.assign_cases"):
        worker.send("core.run_job", (name, manual_slot(), "manual", "test"))
        run = finished(name)
        assert run.status == "succeeded", run.error
        with mutuo_db.session_factory() as s:
            chunks = s.scalars(select(JobChunk).where(JobChunk.run_id == run.id)).all()
        assert len(chunks) > 1 and {c.status for c in chunks} == {"done"}
    worker.stop()
    got = read(mutuo_db)
    for table in expected:
        assert got[table] == expected[table], table
