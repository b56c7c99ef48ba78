"""Demo data through the services, the jobs as the scheduler runs them, models and migrations in step."""
from datetime import date, timedelta

from sqlalchemy import func, select

from plugins.lending.models import APPLICATION_STATUSES, Application, Loan, Repayment


def test_demo_data_covers_every_status(session, mutuo_db):
    from plugins.lending.demo import load
    from plugins.products.demo import load as load_products

    load_products(session, 1)
    summary = load(session, 1)
    assert "loans" in summary and "closed 90 business date(s)" in summary
    statuses = set(session.scalars(select(Application.status).distinct()))
    assert statuses == set(APPLICATION_STATUSES), set(APPLICATION_STATUSES) - statuses
    assert session.scalar(select(func.count()).select_from(Loan)) >= 10
    assert session.scalar(select(func.count()).select_from(Repayment)) > 10
    assert session.scalar(select(func.count()).select_from(Loan).where(Loan.days_past_due > 0)) >= 1
    session.commit()
