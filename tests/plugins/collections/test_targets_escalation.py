"""Targets (split, achievement arithmetic, ranking) and escalation / risk reports reaching other plugins."""
from datetime import date
from decimal import Decimal as D

import pytest
from sqlalchemy import select

from core import hookimpl
from core.errors import UserError
from plugins.collections.models import Case, Recovery
from plugins.collections.services import assign_cases, escalate, reassign, report_high_risk, targets
from plugins.lending import services as lending
from tests.plugins.collections.conftest import DISBURSED, close

MARCH = date(2025, 3, 1)


@pytest.fixture(autouse=True)
def _today(clock):
    clock.day = date(2025, 12, 31)


@pytest.fixture
def team(collector):
    return [collector("ana", ("early",)), collector("ben", ("early",)), collector("cai", ("mid",))]


def test_split_evenly_to_the_cent(session, team):
    target = targets.set_target(session, "2025-03", "10000.00")
    targets.split_evenly(session, target)
    assert [(s.collector_id, s.amount) for s in target.shares] == [
        (team[0].id, D("3333.34")), (team[1].id, D("3333.33")), (team[2].id, D("3333.33"))]
    assert sum(s.amount for s in target.shares) == target.amount


def test_shares_may_not_exceed_the_team_target(session, team):
    target = targets.set_target(session, "2025-03", "1000.00")
    with pytest.raises(UserError) as caught:
        targets.set_shares(session, target, {team[0].id: "600.00", team[1].id: "400.01"})
    assert caught.value.field == "shares"
    targets.set_shares(session, target, {team[0].id: "600.00", team[1].id: "400.00"})
    with pytest.raises(UserError) as caught:
        targets.set_target(session, "2025-03", "999.99")
    assert caught.value.field == "amount"
    with pytest.raises(UserError) as caught:
        targets.set_target(session, "March", "5")
    assert caught.value.field == "month"


def test_achievement_is_what_was_repaid_on_each_collectors_cases_in_the_month(session, world, team):
    ana, ben, cai = team
    loans = [world.loan(disbursed_on=DISBURSED, amount=D(a)) for a in (9000, 5000)]
    close(session, date(2025, 2, 20), start=date(2025, 2, 20))
    assign_cases(session)  # 9000 → ana, 5000 → ben
    first, second = (session.scalars(select(Case).where(Case.loan_id == loan.id)).one() for loan in loans)
    assert (first.collector_id, second.collector_id) == (ana.id, ben.id)

    def pay(loan, amount, on, ref):
        with world.clock.at(on):
            lending.post_repayment(session, loan, D(amount), on, ref)

    pay(loans[0], "100.00", date(2025, 2, 28), "FEB")  # February: not in March's figure
    pay(loans[0], "250.00", date(2025, 3, 2), "M1")
    pay(loans[1], "80.00", date(2025, 3, 3), "M2")
    reassign(session, first, ben.id)
    pay(loans[0], "70.00", date(2025, 3, 31), "M3")  # credited to whoever holds the case when it arrives
    assert session.scalars(select(Recovery.collector_id).order_by(Recovery.id)).all() == [ana.id, ana.id, ben.id,
                                                                                          ben.id]
    target = targets.set_target(session, MARCH, "1000.00")
    targets.set_shares(session, target, {ana.id: "500.00", ben.id: "100.00", cai.id: "400.00"})
    ranking = targets.ranking(session, "2025-03")
    assert [(s.rank, s.username, s.target, s.recovered, s.rate) for s in ranking] == [
        (1, "ben", D("100.00"), D("150.00"), D("1.5000")),
        (2, "ana", D("500.00"), D("250.00"), D("0.5000")),
        (3, "cai", D("400.00"), D("0.00"), D("0.0000")),
    ]


class LegalAndRisk:
    """A test plugin standing in for ``legal`` and ``risk``."""

    def __init__(self):
        self.escalated, self.reported = [], []

    @hookimpl
    def collections_case_escalated(self, case):
        self.escalated.append((case.id, case.status, case.loan_id))

    @hookimpl
    def collections_high_risk_reported(self, case, reason):
        self.reported.append((case.id, reason, case.high_risk))


@pytest.fixture
def departments(mutuo_db):
    plugin = LegalAndRisk()
    mutuo_db.pm.register(plugin, name="test-legal-risk")
    yield plugin
    mutuo_db.pm.unregister(name="test-legal-risk")


def test_escalation_reaches_the_legal_plugin_for_late_cases_only(session, world, departments):
    loan = world.loan(disbursed_on=DISBURSED)
    close(session, date(2025, 4, 1), start=date(2025, 4, 1))
    case = session.scalars(select(Case).where(Case.loan_id == loan.id)).one()
    with pytest.raises(UserError) as caught:
        escalate(session, case, "no answer for weeks")
    assert caught.value.field == "stage" and departments.escalated == []
    close(session, date(2025, 5, 17))  # 91 days: late
    escalate(session, case, "no answer for weeks")
    assert departments.escalated == [(case.id, "escalated", loan.id)]
    with pytest.raises(UserError, match="already escalated"):
        escalate(session, case)
    assert len(departments.escalated) == 1


def test_high_risk_reports_reach_the_risk_plugin(session, world, departments):
    world.loan(disbursed_on=DISBURSED)
    close(session, date(2025, 2, 20), start=date(2025, 2, 20))
    case = session.scalars(select(Case)).one()
    with pytest.raises(UserError) as caught:
        report_high_risk(session, case, "  ", None)
    assert caught.value.field == "reason" and departments.reported == []
    report_high_risk(session, case, "Says the business closed; phone now abroad", None)
    assert departments.reported == [(case.id, "Says the business closed; phone now abroad", True)]


def test_a_refusing_implementation_refuses_the_escalation(session, world, mutuo_db):
    class Refuser:
        @hookimpl
        def collections_case_escalated(self, case):
            raise UserError("Legal is not taking new matters this week.", "status")

    mutuo_db.pm.register(Refuser(), name="test-refuser")
    try:
        world.loan(disbursed_on=DISBURSED)
        close(session, date(2025, 5, 17), start=date(2025, 5, 17))
        case = session.scalars(select(Case)).one()
        with pytest.raises(UserError, match="not taking"):
            escalate(session, case)
    finally:
        mutuo_db.pm.unregister(name="test-refuser")


def test_every_collections_hookspec_is_documented():
    """Each hook collections calls has a docstring and a section in docs/plugins/collections.md."""
    import inspect
    from pathlib import Path

    from plugins.collections import hookspecs

    docs = (Path(__file__).resolve().parents[3] / "docs" / "plugins" / "collections.md").read_text()
    names = [n for n, f in inspect.getmembers(hookspecs, inspect.isfunction) if n.startswith("collections_")]
    assert sorted(names) == ["collections_case_escalated", "collections_high_risk_reported"]
    for name in names:
        assert (getattr(hookspecs, name).__doc__ or "").strip(), name
        assert f"### {name}(" in docs, f"document {name} in docs/plugins/collections.md"
