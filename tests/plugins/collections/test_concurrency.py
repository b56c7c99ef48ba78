"""Collections' read-check-writes racing on PostgreSQL (issue 11, item 1): promises and target splits."""
from datetime import timedelta
from decimal import Decimal as D

import pytest
from sqlalchemy import func, select

from core import testing
from core.errors import ConflictError
from plugins.collections.models import Case, Promise, Target
from plugins.collections.services import log_contact, targets

from .test_contacts_promises import MADE, case  # noqa: F401  (fixture)

THREADS = 8

pytestmark = pytest.mark.postgres


@pytest.fixture(autouse=True)
def _postgres_only(mutuo_db):
    if mutuo_db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only (set MUTUO_TEST_DATABASE_URL): SQLite serialises writers")


def race(mutuo_db, work):
    return testing.race(mutuo_db, work, THREADS)  # the factory's sessions carry the plugin manager


def test_eight_promises_at_once_leave_one_pending(mutuo_db, session, case):
    case_id = case.id
    session.commit()

    def promise(s, n, barrier):
        found = s.get(Case, case_id)
        barrier.wait()
        return log_contact(s, found, found.collector_id, channel="call", outcome="promise_to_pay",
                           promise_amount=D("50.00") + n, promise_due=MADE + timedelta(days=3), note=f"call {n}").id

    results, errors = race(mutuo_db, promise)
    assert (len(results), errors) == (THREADS, [])
    with mutuo_db.session_factory() as s:
        pending = s.scalar(select(func.count()).select_from(Promise).where(Promise.case_id == case_id,
                                                                           Promise.status == "pending"))
    assert pending == 1


def test_lowering_a_target_while_splitting_it_never_leaves_shares_above_it(mutuo_db, session, collector):
    ana = collector("ana", ("early",))
    target_id = targets.set_target(session, "2025-03", "1000.00").id
    session.commit()

    def change(s, n, barrier):
        target = s.get(Target, target_id)
        targets.ranking(s, "2025-03")  # the team page reads the split first
        barrier.wait()
        if n % 2:
            return targets.set_target(s, "2025-03", "400.00").amount
        return sum(x.amount for x in targets.set_shares(s, target, {ana.id: "1000.00"}).shares)

    results, errors = race(mutuo_db, change)
    with mutuo_db.session_factory() as s:
        target = s.get(Target, target_id)
        split = sum((x.amount for x in target.shares), D(0))
    assert split <= target.amount
    assert errors and all(isinstance(e, ConflictError) for e in errors), errors
