"""Demo data end to end, the jobs as the scheduler runs them, models and migrations in step."""
from datetime import date, timedelta

from sqlalchemy import select

from core.jobs import execute_job, job_platform, manual_slot
from core.models.user import User
from plugins.collections.models import OPEN_STATUSES, Case, CollectorQueue


def _demo(mutuo_db, loader, scale=1):
    """Run one plugin's demo loader the way `mutuo demo load` does: own transaction, events reach every plugin."""
    def run(session):
        return loader(session, scale)

    return mutuo_db.transaction(run, actor="cli:demo load")


def _open_cases(mutuo_db):
    def read(session):
        return session.execute(select(Case.id, Case.stage, Case.collector_id)
                               .where(Case.status.in_(OPEN_STATUSES))).all()
    return mutuo_db.transaction(read)


def test_close_of_business_on_the_demo_data_opens_cases_the_assignment_job_spreads(mutuo_db, monkeypatch):
    from plugins.collections.demo import load as collections_demo
    from plugins.lending.demo import load as lending_demo
    from plugins.products.demo import load as products_demo

    _demo(mutuo_db, products_demo)
    _demo(mutuo_db, lending_demo, 1)
    summary = _demo(mutuo_db, collections_demo)
    assert "collectors with stage queues" in summary
    after_demo = _open_cases(mutuo_db)
    assert after_demo and all(collector is not None for _id, _stage, collector in after_demo)

    registry = job_platform({**mutuo_db.settings, "mutuo.timezone": "UTC"}, base=mutuo_db.registry,
                            engine=mutuo_db.engine)
    from core import context

    later = date.today() + timedelta(days=40)  # forty days without payments: more loans fall overdue
    monkeypatch.setattr(context, "today", lambda session: later)
    cob = execute_job(registry, "lending.close_of_business", manual_slot(), "manual", "test")
    assert cob.status == "succeeded", cob.error
    waiting = [c for c in _open_cases(mutuo_db) if c[2] is None]
    assert waiting, "close of business opened no new case"

    run = execute_job(registry, "collections.assign_cases", manual_slot(), "manual", "test")
    assert run.status == "succeeded", run.error
    cases = _open_cases(mutuo_db)
    assert all(collector is not None for _id, _stage, collector in cases)

    def team(session):
        queues = {(q.collector_id, q.stage) for q in session.scalars(select(CollectorQueue)
                                                                       .where(CollectorQueue.active.is_(True)))}
        names = dict(session.execute(select(User.id, User.username)).all())
        return queues, names

    queues, names = mutuo_db.transaction(team)
    got = {cid: names[collector] for cid, _stage, collector in cases}
    assert len({got[cid] for cid, *_ in waiting}) >= 2, "the new cases went to a single collector"
    for cid, stage, collector in cases:
        assert (collector, stage) in queues or cid in {c[0] for c in after_demo}, (names[collector], stage)

    for job in ("collections.sync_cases", "collections.check_promises", "collections.create_action_items",
                "core.deliver_messages"):
        outcome = execute_job(registry, job, manual_slot(), "manual", "test")
        assert outcome.status == "succeeded", (job, outcome.error)


def test_jobs_are_declared_with_schedules_after_close_of_business(mutuo_db):
    jobs = mutuo_db.registry["mutuo.jobs"]
    for name in ("sync_cases", "check_promises", "assign_cases", "create_action_items"):
        assert f"collections.{name}" in jobs
    assert "collections.deliver_messages" not in jobs  # core.deliver_messages sends every department's messages
    assert jobs["collections.assign_cases"].schedule == "45 0 * * *"


def test_models_and_migrations_agree(mutuo_db):
    from core.testing import assert_models_match_migrations

    assert_models_match_migrations(mutuo_db, owners=("collections",))


def test_collections_branch_depends_on_lending(mutuo_db):
    from alembic.script import ScriptDirectory

    from core.migrate import alembic_config, status

    with mutuo_db.engine.connect() as conn:
        branches = {b.branch: b for b in status(mutuo_db.settings, mutuo_db.pm, conn)}
        script = ScriptDirectory.from_config(alembic_config(mutuo_db.settings, mutuo_db.pm, conn))
    assert branches["collections"].at_head
    first = script.get_revision("collections_0001")
    assert first.branch_labels == {"collections"}
    deps = first.dependencies or ()
    assert any(dep.startswith("lending_") for dep in ((deps,) if isinstance(deps, str) else deps))


def test_demo_roll_rates_agree_with_lendings_buckets(mutuo_db):
    """The demo replays history with the service context bound: collections hears every bucket change."""
    from core import context
    from plugins.collections.demo import load as collections_demo
    from plugins.collections.services.reports import buckets_at
    from plugins.lending.demo import load as lending_demo
    from plugins.lending.models import Loan
    from plugins.products.demo import load as products_demo

    _demo(mutuo_db, products_demo)
    _demo(mutuo_db, lending_demo, 1)
    _demo(mutuo_db, collections_demo)

    def compare(session):
        today = context.today(session)
        lending = dict(session.execute(select(Loan.id, Loan.bucket).where(Loan.status == "active")).all())
        seen = buckets_at(session, today)
        return lending, {loan_id: seen[loan_id] for loan_id in lending}

    lending, collections = mutuo_db.transaction(compare)
    assert any(bucket != "current" for bucket in lending.values()), "the demo has no late loan"
    assert collections == lending
