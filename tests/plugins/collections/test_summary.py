"""Cases by stage on the dashboard come from a maintained summary (plugins.collections.summary) that
agrees to the cent with a full recount after cases open, move stage, get paid, resolve and sync."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from core import summaries
from plugins.collections import services, summary
from plugins.collections.models import OPEN_STATUSES, STAGES, Case
from plugins.lending import services as lending
from plugins.lending import summary as lending_summary
from plugins.lending.services import stats
from tests.plugins.collections.conftest import DISBURSED, close, pay_overdue


@pytest.fixture(autouse=True)
def _today(clock):
    clock.day = date(2025, 12, 31)


def _recounted(session) -> dict:
    rows = session.execute(select(Case.stage, func.count(Case.id), func.sum(Case.overdue_amount))
                           .where(Case.status.in_(OPEN_STATUSES)).group_by(Case.stage)).all()
    found = {stage: (n, total) for stage, n, total in rows}
    return {stage: found.get(stage, (0, 0)) for stage in STAGES}


def _agrees(session) -> dict:
    session.flush()
    kept = summary.by_stage(session)
    assert kept == _recounted(session)
    lending_kept = lending_summary.read(session)  # lending's, under collections' reactions too
    assert lending_summary.outstanding_principal(lending_kept) == stats.outstanding_principal(session)
    return kept


def test_cases_by_stage_match_a_recount_after_a_sequence_of_operations(session, world):
    summary.by_stage(session)  # counted (no cases): from now on flushes and the sync keep it
    lending_summary.read(session)
    assert summaries.counted(session, summary.SUMMARY)
    one = world.loan(disbursed_on=DISBURSED)
    two = world.loan(disbursed_on=DISBURSED, term=3)
    three = world.loan(disbursed_on=DISBURSED)
    close(session, date(2025, 2, 20), start=date(2025, 2, 15))
    kept = _agrees(session)
    assert kept["early"][0] == 3 and kept["early"][1] > 0
    with world.clock.at(date(2025, 2, 21)):
        pay_overdue(session, one, date(2025, 2, 21), "P-1")
    _agrees(session)
    close(session, date(2025, 4, 20))
    kept = _agrees(session)
    assert kept["mid"][0] >= 1
    with world.clock.at(date(2025, 4, 21)):
        lending.post_repayment(session, two, lending.payoff_amount(session, two, date(2025, 4, 21)),
                               date(2025, 4, 21), "PAYOFF")
    _agrees(session)
    lending.write_off(session, three, "gone")
    services.sync(session)
    kept = _agrees(session)
    session.commit()
    assert summary.by_stage(session) == kept


def test_the_supervisor_dashboard_reads_the_summary(session, world, login_as, mutuo_db):
    from core.testing import count_queries

    world.loan(disbursed_on=DISBURSED)
    close(session, date(2025, 2, 20), start=date(2025, 2, 15))
    session.commit()
    app = login_as("admin")
    app.get("/", status=200)
    with count_queries(mutuo_db.engine) as queries:
        app.get("/", status=200)
    grouped = [q for q in queries if "FROM collections_case" in q and "GROUP BY collections_case.stage" in q]
    assert not grouped, "\n".join(grouped)
    assert any("collections_summary" in q for q in queries)
