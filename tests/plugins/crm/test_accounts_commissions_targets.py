"""Accounts linked to lending's customers, partner commissions and clawbacks, stored target decompositions."""
from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest
from sqlalchemy import select

from core.errors import UserError
from plugins.crm.models import Commission, Credit, TargetPart
from plugins.crm.services import commissions, pipeline, targets


@pytest.mark.parametrize("typed, stored", [
    ({"id_number": "id-000.777"}, {"id_number": "ID000777"}),
    ({"email": " Ana@Example.COM "}, {"email": "ana@example.com"}),
    ({"phone": "600 12 34 56"}, {"phone": "+34600123456"}),
])
def test_a_new_customer_is_linked_to_the_account_naming_them(session, account, world, user, typed, stored):
    from plugins.lending import services as lending

    rep = user("rep1")
    prospect = account("Ana Prospect", owner=rep, **typed)
    account("Someone else", owner=rep)
    customer = lending.create_customer(session, role="borrower", kind="person", name="Ana", region="North",
                                       id_number=stored.get("id_number", "X999"), email=stored.get("email", ""),
                                       phone=stored.get("phone", ""))
    assert prospect.customer_id == customer.id
    credit = session.scalars(select(Credit).where(Credit.user_id == rep.id)).one()
    assert (credit.metric, credit.amount) == ("new_borrowers", D("1.00"))


def test_a_customer_nobody_knew_links_nothing(session, account, world):
    prospect = account("Somebody", id_number="Z1")
    world.customer()
    assert prospect.customer_id is None


def _funded_through_partner(session, world, account, stages, partner, amount=D("10000.00")):
    from plugins.lending import services as lending

    opp = pipeline.create_opportunity(session, account("Borrower"), "Loan", amount, None, stage=stages[0],
                                      partner=partner)
    application = world.listed(amount=amount)
    pipeline.link_application(session, opp, application.id)
    lending.invest(session, application, world.investor(), amount)
    return opp, application


def test_commission_accrues_on_funding_with_the_tier_reached_this_month(session, world, account, stages, clock):
    clock.day = date(2025, 3, 10)
    partner = account("Broker One", kind="partner", partner_type="broker", commission_rate="1")
    commissions.set_tier(session, partner, D("15000.00"), "2")
    _funded_through_partner(session, world, account, stages, partner)  # month volume 10,000: 1 %
    _funded_through_partner(session, world, account, stages, partner)  # 20,000: the 2 % tier
    entries = session.scalars(select(Commission).order_by(Commission.id)).all()
    assert [(e.kind, e.rate, e.amount) for e in entries] == [("accrual", D("0.01"), D("100.00")),
                                                             ("accrual", D("0.02"), D("200.00"))]
    [line] = commissions.statement(session, date(2025, 3, 1))
    assert (line.accrued, line.clawed_back, line.payable, line.funded) == (D("300.00"), D("0.00"), D("300.00"),
                                                                          D("20000.00"))


def test_commission_is_clawed_back_when_the_first_installment_is_missed(session, world, account, stages, clock):
    from plugins.lending import services as lending

    clock.day = date(2025, 1, 15)
    partner = account("Broker Two", kind="partner", commission_rate=D("0.015"))
    _opp, application = _funded_through_partner(session, world, account, stages, partner)
    loan = lending.disburse(session, application, date(2025, 1, 15))
    clock.day = date(2025, 2, 25)  # first installment due 2025-02-15, unpaid
    lending.close_of_business(session, date(2025, 2, 24), start=date(2025, 2, 14))
    entries = session.scalars(select(Commission).where(Commission.application_id == application.id)
                              .order_by(Commission.id)).all()
    assert [(e.kind, e.amount) for e in entries] == [("accrual", D("150.00")), ("clawback", D("-150.00"))]
    assert entries[1].booked_on.month == 2
    [feb] = commissions.statement(session, date(2025, 2, 1))
    assert feb.payable == D("-150.00")
    assert loan.id


def test_a_stored_decomposition_sums_at_every_level(session, user):
    reps = [user(f"rep{n}") for n in range(5)]
    north = targets.create_team(session, "North", manager_id=reps[0].id)
    south = targets.create_team(session, "South")
    for rep in reps[:3]:
        targets.add_member(session, north, rep.id, date(2025, 1, 1))
    targets.add_member(session, south, reps[3].id, date(2024, 6, 1))
    targets.add_member(session, south, reps[4].id, date(2026, 4, 20))  # joins in April
    target = targets.set_target(session, 2026, "funded_volume", D("1000000.01"))
    targets.decompose_target(session, target, {north.id: D("60"), south.id: D("40")})
    targets.check_sums(session, target)
    parts = session.scalars(select(TargetPart).where(TargetPart.target_id == target.id)).all()
    assert sum(p.amount for p in parts if p.level == "team") == D("1000000.01")
    joiner = [p for p in parts if p.level == "month" and p.user_id == reps[4].id]
    assert len(joiner) == 12 and all(p.amount == 0 for p in joiner if p.month < 4)
    assert all(p.amount > 0 for p in joiner if p.month >= 4)


def test_attainment_credits_each_person_their_share(session, user, account, stages, world, clock):
    from plugins.lending import services as lending

    clock.day = date(2026, 5, 5)
    rep, other = user("rep1"), user("rep2")
    team = targets.create_team(session, "North")
    targets.add_member(session, team, rep.id, date(2025, 1, 1))
    targets.add_member(session, team, other.id, date(2025, 1, 1))
    target = targets.set_target(session, 2026, "funded_volume", D("120000.00"))
    targets.decompose_target(session, target, {team.id: D(1)})
    opp = pipeline.create_opportunity(session, account(owner=rep), "Loan", D("6000.00"), rep.id, stage=stages[0])
    pipeline.set_shares(session, opp, {rep.id: "50", other.id: "50"})
    application = world.listed(amount=D("6000.00"))
    pipeline.link_application(session, opp, application.id)
    lending.invest(session, application, world.investor(), D("6000.00"))
    report = targets.attainment(session, target)
    people = {a.key: a for a in report["people"]}
    assert people["rep1"].actual == D("3000.00") and people["rep1"].target == D("60000.00")
    assert people["rep1"].rate == D("0.0500")
    assert report["teams"][0].actual == D("6000.00")
    may = report["months"][4]
    assert (may.key, may.target, may.actual) == ("2026-05", D("10000.00"), D("6000.00"))


def test_count_targets_are_whole_numbers(session):
    with pytest.raises(UserError):
        targets.set_target(session, 2026, "new_borrowers", D("10.5"))
