"""Demo data through the services, the jobs as the scheduler runs them, models and migrations in step."""
from datetime import date

from sqlalchemy import func, select

from plugins.lending.models import APPLICATION_STATUSES, Application, Loan, Repayment


def test_demo_data_covers_every_status(session, mutuo_db):
    from plugins.lending.demo import load
    from plugins.products.demo import load as load_products

    load_products(session, 1)
    summary = load(session, 1)
    assert "loans" in summary and "business dates closed" in summary
    statuses = set(session.scalars(select(Application.status).distinct()))
    assert statuses == set(APPLICATION_STATUSES), set(APPLICATION_STATUSES) - statuses
    assert session.scalar(select(func.count()).select_from(Loan)) >= 10
    assert session.scalar(select(func.count()).select_from(Repayment)) > 10
    assert session.scalar(select(func.count()).select_from(Loan).where(Loan.days_past_due > 0)) >= 1
    session.commit()


def test_models_and_migrations_agree(mutuo_db):
    from core.testing import assert_models_match_migrations

    assert_models_match_migrations(mutuo_db, owners=("lending",))


def test_lending_branch_is_at_head_and_depends_on_products(mutuo_db):
    from alembic.script import ScriptDirectory

    from core.migrate import alembic_config, status

    with mutuo_db.engine.connect() as conn:
        branches = {b.branch: b for b in status(mutuo_db.settings, mutuo_db.pm, conn)}
        script = ScriptDirectory.from_config(alembic_config(mutuo_db.settings, mutuo_db.pm, conn))
    assert branches["lending"].at_head and branches["lending"].head == "lending_0004"
    first = script.get_revision("lending_0001")
    assert first.branch_labels == {"lending"} and "products_0001" in (first.dependencies or ())


def test_jobs_run_as_the_scheduler_runs_them(mutuo_db, world, session, clock):
    """Both jobs through core's runner: own transaction, recorded run, summary; a second run closes nothing."""
    from core.jobs import execute_job, job_platform, manual_slot
    from plugins.lending import services

    assert {"lending.close_of_business", "lending.expire_listings"} <= set(mutuo_db.registry["mutuo.jobs"])
    with clock.at(date(2025, 1, 2)):
        stale = world.listed(listed_on=date(2025, 1, 2))
    loan = world.loan(disbursed_on=date(2025, 1, 15))
    services.close_of_business(session, date(2025, 3, 1), start=date(2025, 3, 1))
    session.commit()
    registry = job_platform({**mutuo_db.settings, "mutuo.timezone": "UTC"}, base=mutuo_db.registry,
                            engine=mutuo_db.engine)
    clock.day = date(2025, 3, 6)  # the job closes up to yesterday: 2 to 5 March
    first = execute_job(registry, "lending.close_of_business", manual_slot(), "manual", "test")
    assert first.status == "succeeded", first.error
    assert first.summary.startswith("closed 4 business dates 2025-03-02 to 2025-03-05")
    again = execute_job(registry, "lending.close_of_business", manual_slot(), "manual", "test")
    assert again.status == "succeeded" and again.summary.startswith("nothing to close")
    expired = execute_job(registry, "lending.expire_listings", manual_slot(), "manual", "test")
    assert expired.summary == "1 listing expired"
    session.expire_all()
    assert session.get(type(stale), stale.id).status == "expired"
    assert session.get(type(loan), loan.id).days_past_due == 18  # 2025-03-05 - 2025-02-15
