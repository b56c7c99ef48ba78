"""The pipeline's rules: manual probability kept, weighted pipeline over open ones only, won from funding."""
from __future__ import annotations

from decimal import Decimal as D

import pytest
from sqlalchemy import select

from core.errors import ConflictError, UserError
from plugins.crm.models import Credit, Opportunity
from plugins.crm.services import pipeline


def test_a_manual_probability_is_kept_across_stage_changes(session, stages, account):
    lead, qualified, proposal, _negotiation = stages
    opp = pipeline.create_opportunity(session, account(), "Van loan", D("10000.00"), None, stage=lead)
    assert opp.probability == D("0.10")
    pipeline.set_probability(session, opp, "45")
    pipeline.move(session, opp, str(proposal.id))
    pipeline.move(session, opp, str(qualified.id))
    assert opp.manual_probability == D("0.45") and opp.probability == D("0.45")
    pipeline.set_probability(session, opp, "")  # cleared: the stage's again
    assert opp.probability == D("0.30")


def test_the_weighted_pipeline_counts_open_opportunities_only(session, stages, account, world):
    lead, qualified, proposal, _ = stages
    acc = account()
    a = pipeline.create_opportunity(session, acc, "A", D("1000.00"), None, stage=lead)        # 100.00
    b = pipeline.create_opportunity(session, acc, "B", D("333.33"), None, stage=qualified)    # 99.999 -> 100.00
    c = pipeline.create_opportunity(session, acc, "C", D("5000.00"), None, stage=proposal)
    d = pipeline.create_opportunity(session, acc, "D", D("7000.00"), None, stage=proposal)
    pipeline.mark_lost(session, c, "price")
    application = world.application(amount=D("7000.00"))
    pipeline.link_application(session, d, application.id)
    d.status = "won"  # as funding would leave it
    assert pipeline.weighted_pipeline([a, b, c, d]) == D("200.00")
    assert pipeline.weighted_amount(b) == D("100.00")


def test_lost_needs_a_reason_and_a_closed_opportunity_cannot_move(session, stages, account):
    opp = pipeline.create_opportunity(session, account(), "X", D("100.00"), None)
    with pytest.raises(UserError) as refused:
        pipeline.mark_lost(session, opp, "")
    assert refused.value.field == "reason"
    pipeline.mark_lost(session, opp, "competitor", "went to the bank")
    with pytest.raises(ConflictError):
        pipeline.move(session, opp, str(stages[1].id))
    with pytest.raises(ConflictError):
        pipeline.set_probability(session, opp, "90")


def test_an_opportunity_is_won_when_lending_funds_its_application(session, stages, account, world, user):
    from plugins.lending import services as lending

    rep, helper = user("rep1"), user("rep2")
    opp = pipeline.create_opportunity(session, account(owner=rep), "Shop refit", D("9000.00"), rep.id, stage=stages[2])
    pipeline.set_shares(session, opp, {rep.id: "70", helper.id: "30"})
    application = world.listed(amount=D("10000.00"))
    pipeline.link_application(session, opp, application.id)
    assert opp.status == "open"
    for investor in (world.investor(), world.investor()):
        lending.invest(session, application, investor, D("5000.00"))
    assert application.status == "funded"
    session.refresh(opp)
    assert opp.status == "won" and opp.won_amount == D("10000.00") and opp.manual_probability is None
    credits = {c.user_id: c.amount for c in session.scalars(select(Credit).where(Credit.opportunity_id == opp.id))}
    assert credits == {rep.id: D("7000.00"), helper.id: D("3000.00")}
    assert pipeline.weighted_pipeline([opp]) == D("0.00")


def test_shares_must_sum_to_exactly_one_hundred_percent(session, stages, account, user):
    rep = user("rep1")
    opp = pipeline.create_opportunity(session, account(), "X", D("100.00"), rep.id)
    with pytest.raises(UserError):
        pipeline.set_shares(session, opp, {rep.id: "60"})


def test_the_won_and_lost_hooks_fire(session, stages, account, mutuo_db):
    from core import hookimpl

    seen = []

    class Listener:
        @hookimpl
        def crm_opportunity_lost(self, opportunity):
            seen.append(("lost", opportunity.id))

    mutuo_db.pm.register(Listener(), name="crm-test-listener")
    try:
        opp = pipeline.create_opportunity(session, account(), "X", D("100.00"), None)
        pipeline.mark_lost(session, opp, "no_need")
    finally:
        mutuo_db.pm.unregister(name="crm-test-listener")
    assert seen == [("lost", opp.id)]
    assert session.get(Opportunity, opp.id).closed_on is not None


def test_a_lead_reuses_the_account_naming_the_same_person(session, stages, account):
    known = account("Ana Known", email="ana@example.com")
    lead = pipeline.create_lead(session, name="Ana K.", amount=D("3000.00"), email="ANA@example.com",
                                source="spring campaign")
    assert lead.account_id == known.id and lead.source == "spring campaign" and lead.stage == stages[0]
    fresh = pipeline.create_lead(session, name="Bea New", amount=D("1000.00"), phone="611 22 33 44")
    assert fresh.account.name == "Bea New" and fresh.account.phone_key == "+34611223344"
