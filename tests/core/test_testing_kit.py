"""The test kit plugin authors import (core.testing, plugins.<name>.testing) builds what it says."""
from datetime import date

import pytest
from sqlalchemy import select


@pytest.fixture
def mutuo_plugins():
    return ("products", "lending", "collections")


def test_an_overdue_loan_and_its_case_come_from_the_services(dbsession, mutuo_db, clock):
    from plugins.collections.testing import overdue_case
    from plugins.lending.testing import World

    clock.day = date(2025, 6, 20)
    case = overdue_case(World(dbsession, mutuo_db.documents, clock), days_overdue=35)
    assert case.status == "open" and case.bucket == "31-60"
    assert case.loan.days_past_due == 35


def test_an_active_product_version(dbsession):
    from plugins.products.testing import active_product

    version = active_product(dbsession, code="KIT")
    assert version.product.status == "active"


def test_run_job_runs_a_job_and_refuses_a_held_sqlite_write_lock(dbsession, mutuo_db, run_job):
    from core.models.user import Role

    dbsession.scalars(select(Role)).all()  # a read opens a transaction (BEGIN IMMEDIATE on SQLite)
    if mutuo_db.engine.dialect.name == "sqlite":
        with pytest.raises(RuntimeError, match="commit"):
            run_job("core.audit_verify")
    dbsession.commit()
    run = run_job("core.audit_verify")
    assert run.status == "succeeded", run.error


def test_login_as_a_default_role(login_as):
    app = login_as("collector")
    assert app.get("/collections/queue", status=200)
    assert app.get("/admin/users", expect_errors=True).status_int == 403
