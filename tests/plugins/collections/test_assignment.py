"""Balanced assignment: stage queues, region, least loaded first (amount, then count), history."""
from datetime import date
from decimal import Decimal as D

import pytest
from sqlalchemy import select

from core.errors import UserError
from core.models.audit import AuditEntry
from plugins.collections.models import Assignment, Case
from plugins.collections.services import assign_cases, reassign, release_cases
from plugins.collections.services.assignment import Holder, Picker
from tests.plugins.collections.conftest import DISBURSED, close


@pytest.fixture(autouse=True)
def _today(clock):
    clock.day = date(2025, 12, 31)


def overdue_loans(world, session, specs, on=date(2025, 2, 20)):
    """specs: [(amount, region)] -> cases opened by close of business, in the same order."""
    loans = [world.loan(disbursed_on=DISBURSED, amount=D(amount), borrower=world.customer(region=region))
             for amount, region in specs]
    close(session, on, start=on)
    session.expire_all()
    return [session.scalars(select(Case).where(Case.loan_id == loan.id)).one() for loan in loans]


def holder_of(session, cases):
    session.expire_all()
    return [session.get(Case, c.id).collector.username if session.get(Case, c.id).collector else None
            for c in cases]


def test_least_loaded_first_within_the_region_and_generalists_take_the_rest(session, world, collector):
    collector("ana", ("early",), "North")
    collector("ben", ("early",), "North")
    collector("gus", ("early",), "")
    collector("mia", ("mid",), "North")  # another stage's queue: never an early case
    cases = overdue_loans(world, session, [(10000, "North"), (8000, "North"), (6000, "North"), (4000, "North"),
                                           (5000, "South"), (3000, "South")])
    run = assign_cases(session)
    # Largest first: 10k → ana; 8k → ben; 6k → ben (8k < 10k); 4k → ana (10k < 14k). South has nobody: gus.
    assert holder_of(session, cases) == ["ana", "ben", "ben", "ana", "gus", "gus"]
    assert dict(run.assigned) == {"ana": 2, "ben": 2, "gus": 2}
    assert all(not session.get(Case, c.id).needs_assignment for c in cases)
    assert "6 cases assigned" in run.summary
    assert sum(assign_cases(session).assigned.values()) == 0  # nothing waits any more


def test_existing_load_counts(session, world, collector):
    collector("ana", ("early",))
    ben = collector("ben", ("early",))
    [big] = overdue_loans(world, session, [(20000, "North")], on=date(2025, 2, 16))
    reassign(session, big, ben.id)
    more = overdue_loans(world, session, [(5000, "North"), (5000, "North")], on=date(2025, 2, 17))
    assign_cases(session)
    assert holder_of(session, more) == ["ana", "ana"]  # ben already carries the largest amount


def test_ties_go_to_fewer_cases_then_lower_id():
    picker = Picker([Holder(1, "a", "", D(100), 3), Holder(2, "b", "", D(100), 1), Holder(3, "c", "", D(100), 1)])
    assert picker.pick("").username == "b"
    picker.add(picker.pick(""), D(0))
    assert picker.pick("").username == "c"


def test_region_pools_fall_back_to_everyone_when_no_generalist():
    picker = Picker([Holder(1, "north", "North", D(50), 0), Holder(2, "south", "South", D(10), 0)])
    assert picker.pick("North").username == "north"
    assert picker.pick("East").username == "south"  # nobody for East and no generalist: least loaded of all


def test_restaged_cases_go_to_the_new_stage_queue_or_stay(session, world, collector):
    collector("ana", ("early",))
    collector("both", ("early", "mid"))
    collector("mid1", ("mid",))
    cases = overdue_loans(world, session, [(9000, "North"), (3000, "North")], on=date(2025, 2, 16))
    assign_cases(session)
    early_holders = holder_of(session, cases)
    assert sorted(early_holders) == ["ana", "both"]
    close(session, date(2025, 3, 18))  # 31 days: mid stage
    assert all(session.get(Case, c.id).needs_assignment for c in cases)
    run = assign_cases(session)
    after = holder_of(session, cases)
    for before, now in zip(early_holders, after):
        assert now == ("both" if before == "both" else "mid1")
    assert run.kept == 1
    history = session.scalars(select(Assignment).where(Assignment.case_id == cases[early_holders.index("ana")].id)
                              .order_by(Assignment.id)).all()
    assert [(a.reason, a.stage) for a in history] == [("new", "early"), ("restaged", "mid")]


def test_every_assignment_is_audited(session, world, collector, mutuo_db):
    """One hash-chained event per collector and stage names every case; the history table has a row per case."""
    import json

    ana = collector("ana", ("early",))
    cases = overdue_loans(world, session, [(5000, "North"), (4000, "North")])
    assign_cases(session)
    session.commit()
    # the audit log keeps every test's rows (and ids repeat between tests): this test's event is the last
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "cases_assigned",
                                                     AuditEntry.entity_id == str(ana.id))
                            .order_by(AuditEntry.id.desc()).limit(1)).one()
    changes = json.loads(entry.changes)
    assert (changes["collector"], changes["stage"], changes["new"]) == ("ana", "early", 2)
    assert changes["cases"] == sorted(c.id for c in cases)
    rows = session.scalars(select(Assignment).where(Assignment.case_id.in_([c.id for c in cases]))).all()
    assert sorted((r.case_id, r.collector_id, r.reason) for r in rows) == sorted(
        (c.id, ana.id, "new") for c in cases)


def test_a_stage_nobody_holds_waits(session, world, collector):
    collector("ana", ("mid",))
    overdue_loans(world, session, [(5000, "North")])
    run = assign_cases(session)
    assert run.unassigned == {"early": 1} and "no collector holds the queue of early" in run.summary


def test_reassign_by_hand(session, world, collector):
    ana, ben = collector("ana", ("early",)), collector("ben", ("late",))
    outsider = collector("out", (), roles=())
    [case] = overdue_loans(world, session, [(5000, "North")])
    assign_cases(session)
    with pytest.raises(UserError) as caught:
        reassign(session, case, outsider.id)
    assert caught.value.field == "collector_id"
    with pytest.raises(UserError, match="already assigned"):
        reassign(session, case, ana.id)
    reassign(session, case, ben.id)  # any member of the team, whatever their stage
    assert case.collector_id == ben.id
    last = session.scalars(select(Assignment).where(Assignment.case_id == case.id).order_by(Assignment.id.desc())).first()
    assert (last.reason, last.previous_id, last.collector_id) == ("manual", ana.id, ben.id)


def test_release_returns_cases_to_the_pool(session, world, collector):
    ana = collector("ana", ("early",))
    cases = overdue_loans(world, session, [(5000, "North"), (4000, "North")])
    assign_cases(session)
    assert release_cases(session, ana) == 2
    assert all(session.get(Case, c.id).collector_id is None for c in cases)
    collector("ben", ("early",))
    assign_cases(session)
    assert sorted(holder_of(session, cases)) == ["ana", "ben"]
