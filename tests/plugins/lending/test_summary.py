"""The dashboard's maintained totals (plugins.lending.summary) agree to the cent with a full recount
(the scans the dashboard ran before, ``services.stats``) after every kind of change to the book."""
from __future__ import annotations

from datetime import date
from decimal import Decimal as D

from core import summaries
from plugins.lending import services, summary
from plugins.lending.services import stats
from plugins.lending.services.delinquency import bucket_names, buckets_from_settings


def _names(mutuo_db):
    return bucket_names(buckets_from_settings(mutuo_db.settings))


def _agrees(session, mutuo_db):
    session.flush()
    kept = summary.read(session)
    names = _names(mutuo_db)
    assert summary.outstanding_principal(kept) == stats.outstanding_principal(session)
    assert summary.by_bucket(kept, names) == stats.by_bucket(session, names)
    assert summary.pipeline(kept) == stats.pipeline(session)
    assert kept == {k: v for k, v in summary.recount(session).items() if k != summaries.MARKER}
    return kept


def test_kept_totals_match_a_recount_after_a_sequence_of_operations(world, dbsession, mutuo_db, clock):
    first = summary.read(dbsession)  # counted (empty book): from now on the flushes keep it
    assert summary.outstanding_principal(first) == 0
    assert summaries.counted(dbsession, summary.SUMMARY)

    draft = world.application(amount=D("5000.00"))
    services.submit(dbsession, draft)
    listed = world.listed(amount=D("7000.00"))
    half = world.investor()
    services.invest(dbsession, listed, half, D("3500.00"))
    _agrees(dbsession, mutuo_db)

    loan = world.loan(amount=D("12000.00"))
    other = world.loan(amount=D("8000.00"))
    kept = _agrees(dbsession, mutuo_db)
    assert summary.outstanding_principal(kept) == D("20000.00")

    with clock.at(date(2025, 2, 20)):
        services.post_repayment(dbsession, loan, D("1234.56"), date(2025, 2, 15), "R-1")
    _agrees(dbsession, mutuo_db)
    with clock.at(date(2025, 4, 20)):
        services.close_of_business(dbsession, date(2025, 4, 19), start=date(2025, 2, 14))
    kept = _agrees(dbsession, mutuo_db)
    assert sum(n for (kind, name), (n, _a, _b) in kept.items() if kind == "bucket" and name != "current") >= 1
    with clock.at(date(2025, 4, 21)):
        services.post_repayment(dbsession, other, D("3000.00"), date(2025, 4, 20), "R-2")
        services.write_off(dbsession, loan, "gone")
    _agrees(dbsession, mutuo_db)
    services.cancel(dbsession, listed, "withdrawn")
    services.reject(dbsession, draft, "no")
    kept = _agrees(dbsession, mutuo_db)
    assert kept[("pipeline", "listed")] == (0, D("0.00"), D("0.00"))
    dbsession.commit()
    _agrees(dbsession, mutuo_db)


def test_a_book_never_counted_is_counted_by_its_first_read(world, dbsession, mutuo_db):
    world.loan(amount=D("9000.00"))  # no count kept yet: the flushes leave the summary alone
    assert not summaries.counted(dbsession, summary.SUMMARY)
    assert summary.outstanding_principal(_agrees(dbsession, mutuo_db)) == D("9000.00")


def test_the_dashboard_reads_the_summary_not_the_book(world, dbsession, mutuo_db, login_as):
    from core.testing import count_queries

    world.loan(amount=D("9000.00"))
    dbsession.commit()
    app = login_as("admin")
    app.get("/", status=200)
    with count_queries(mutuo_db.engine) as queries:
        page = app.get("/", status=200)
    assert "9,000.00" in page.text
    scans = [q for q in queries if "lending_installment" in q and "sum(" in q.lower() and "principal_due" in q]
    assert not scans, str(queries)
