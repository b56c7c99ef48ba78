"""Campaigns, spend and budget alerts, touchpoints from registration, conversions and their credits, CAC/ROI."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from sqlalchemy import func, select

from core.errors import UserError
from core.models.audit import AuditEntry
from plugins.marketing.models import MODELS, Conversion, Credit, Touchpoint
from plugins.marketing.services import campaigns, conversions, reports, tracking

VISITOR = "ab" * 16


def test_a_campaign_needs_its_fields(session, campaign):
    first = campaign("Spring")
    with pytest.raises(UserError) as refused:
        campaigns.create_campaign(session, name="x", channel_id=first.channel_id, starts_on=date(2025, 2, 1),
                                  ends_on=date(2025, 1, 1), budget=D("1"))
    assert refused.value.field == "ends_on"
    with pytest.raises(UserError) as refused:
        campaigns.create_campaign(session, name="", channel_id=first.channel_id, starts_on=date(2025, 2, 1), budget=1)
    assert refused.value.field == "name"


def test_programmes_cannot_loop(session, campaign):
    programme, child = campaign("Year"), campaign("Quarter")
    campaigns.update_campaign(session, child, name="Quarter", channel_id=child.channel_id, starts_on=child.starts_on,
                              budget=child.budget, parent_id=programme.id)
    with pytest.raises(UserError) as refused:
        campaigns.update_campaign(session, programme, name="Year", channel_id=programme.channel_id,
                                  starts_on=programme.starts_on, budget=programme.budget, parent_id=child.id)
    assert refused.value.field == "parent_id"


def test_budget_versus_actual_and_the_alert_when_actual_passes_it(session, campaign):
    spring = campaign(budget="1000.00")
    campaigns.add_spend(session, spring, date(2025, 1, 1), D("1000.00"), "planned")
    campaigns.add_spend(session, spring, date(2025, 1, 31), D("600.00"))
    status = campaigns.budget_status(session, spring.id)
    assert (status["planned"], status["actual"], status["left"], status["over"]) == (D("1000.00"), D("600.00"),
                                                                                     D("400.00"), False)
    campaigns.add_spend(session, spring, date(2025, 2, 28), D("400.01"))
    assert campaigns.budget_status(session, spring.id)["over"]
    assert [c.id for c, _a in campaigns.over_budget(session)] == [spring.id]
    with pytest.raises(UserError):
        campaigns.add_spend(session, spring, date(2025, 3, 1), D("0"))


def test_links_lead_only_to_their_stored_target_with_utm(session, campaign):
    spring = campaign("Spring Savers")
    with pytest.raises(UserError) as refused:
        tracking.create_link(session, spring, "javascript:alert(1)")
    assert refused.value.field == "target_url"
    link = tracking.create_link(session, spring, "https://www.example.com/join?ref=a&utm_source=evil", "post", "spr")
    assert tracking.destination(link, spring) == ("https://www.example.com/join?ref=a&utm_source=social-channel"
                                                  "&utm_medium=post&utm_campaign=spring-savers&utm_content=spr")
    with pytest.raises(UserError) as refused:
        tracking.create_link(session, spring, "https://x.test/", code="spr")
    assert refused.value.field == "code"


def test_passing_the_budget_is_logged_once(mutuo_db):
    def spend(session):
        channel = campaigns.create_channel(session, "Forums", "forum")
        spring = campaigns.create_campaign(session, name="Forum push", channel_id=channel.id,
                                           starts_on=date(2025, 1, 1), budget=D("100.00"))
        for amount in ("60.00", "60.00", "10.00"):
            campaigns.add_spend(session, spring, date(2025, 1, 2), D(amount))

    # the audit log outlives the other tests' data (append-only): read only what this test wrote
    before = mutuo_db.transaction(lambda s: s.scalar(select(func.max(AuditEntry.id)))) or 0
    mutuo_db.transaction(spend)
    alerts = mutuo_db.transaction(lambda s: s.scalars(select(AuditEntry.changes).where(
        AuditEntry.action == "marketing.budget_exceeded", AuditEntry.id > before)).all())
    assert len(alerts) == 1 and "120.00" in str(alerts[0])


def test_clicks_become_touchpoints_when_the_visitor_registers(session, campaign, world):
    spring, search = campaign("Spring"), campaign("Search", kind="search")
    a, b = tracking.create_link(session, spring, "https://x.test/"), tracking.create_link(session, search, "https://x.test/")
    tracking.record_click(session, a, VISITOR, "https://social.test/")
    tracking.record_click(session, b, VISITOR)
    tracking.record_click(session, a, "cd" * 16)  # another visitor: never this customer's
    tracking.identify_visitor(session, VISITOR, email="Ana@Example.test")
    assert session.scalar(select(func.count()).select_from(Touchpoint)) == 0
    customer = world.customer(verified=False, email="ana@example.TEST")
    touches = session.scalars(select(Touchpoint).where(Touchpoint.customer_id == customer.id)).all()
    assert sorted(t.campaign_id for t in touches) == sorted([spring.id, search.id])
    tracking.record_click(session, a, VISITOR)  # identified: a later click is a touchpoint at once
    assert session.scalar(select(func.count()).select_from(Touchpoint)
                          .where(Touchpoint.customer_id == customer.id)) == 3


def test_identifying_an_existing_customer_claims_the_clicks_by_phone(session, campaign, world):
    link = tracking.create_link(session, campaign(), "https://x.test/")
    customer = world.customer(verified=False, phone="+34 600 123 456")
    tracking.record_click(session, link, VISITOR)
    record = tracking.identify_visitor(session, VISITOR, phone="+34600123456")
    assert record.customer_id == customer.id
    with pytest.raises(UserError):
        tracking.identify_visitor(session, "not-ours", email="x@y.test")
    with pytest.raises(UserError):
        tracking.identify_visitor(session, VISITOR)


def test_conversions_are_credited_under_every_model(session, campaign, world):
    spring, search = campaign("Spring"), campaign("Search", kind="search")
    a, b = tracking.create_link(session, spring, "https://x.test/"), tracking.create_link(session, search, "https://x.test/")
    tracking.record_click(session, a, VISITOR)
    tracking.record_click(session, b, VISITOR)
    tracking.identify_visitor(session, VISITOR, email="bo@example.test")
    borrower = world.customer(email="bo@example.test")  # verified: a conversion worth nothing
    application = world.funded(borrower=borrower)
    from plugins.lending import services as lending

    loan = lending.disburse(session, application)
    found = {c.kind: c for c in session.scalars(select(Conversion).where(Conversion.customer_id == borrower.id))}
    assert set(found) == {"verified", "funded"}
    funded = found["funded"]
    assert funded.value == conversions.loan_margin(session, loan) and funded.value > 0
    for model in MODELS:
        credits = session.scalars(select(Credit).where(Credit.conversion_id == funded.id, Credit.model == model)).all()
        assert sum(c.share for c in credits) == 1
        assert sum(c.amount for c in credits) == funded.value
    # one funded customer, whatever the model: each campaign's part of it
    rows = {r["name"]: r for r in reports.performance(session, "linear", date(2020, 1, 1), date(2030, 1, 1))}
    assert rows["Spring"]["funded"] + rows["Search"]["funded"] == 1
    # a second loan of the same borrower is no new conversion
    assert conversions.on_loan_disbursed(session, loan) is None


def test_first_investment_is_a_conversion_once(session, campaign, world):
    link = tracking.create_link(session, campaign(), "https://x.test/")
    tracking.record_click(session, link, VISITOR)
    tracking.identify_visitor(session, VISITOR, email="inv@example.test")
    investor = world.customer(role="investor", email="inv@example.test")
    from plugins.lending import services as lending

    lending.deposit(session, investor, D("50000.00"), entry_date=date(2025, 1, 1))
    first = world.listed()
    lending.invest(session, first, investor, D("1000.00"))
    lending.invest(session, first, investor, D("500.00"))
    investments = session.scalars(select(Conversion).where(Conversion.customer_id == investor.id,
                                                          Conversion.kind == "first_investment")).all()
    assert [c.value for c in investments] == [D("1000.00")]


def test_touches_outside_the_lookback_window_are_not_credited(session, campaign, world):
    link = tracking.create_link(session, campaign(), "https://x.test/")
    old = tracking.record_click(session, link, VISITOR)
    old.clicked_at = old.clicked_at - timedelta(days=45)
    tracking.identify_visitor(session, VISITOR, email="late@example.test")
    customer = world.customer(email="late@example.test")
    conversion = session.scalar(select(Conversion).where(Conversion.customer_id == customer.id))
    assert conversion.touches == 0
    assert session.scalar(select(func.count()).select_from(Credit).where(Credit.conversion_id == conversion.id)) == 0


def test_offline_touchpoints_by_hand_and_from_csv(session, campaign, world):
    fair = campaign("Madrid fair", kind="offline")
    customer = world.customer(verified=False)
    touch = tracking.add_offline_touch(session, customer, fair, date(2025, 1, 10), "stand 4")
    assert touch.source == "offline"
    text = f"customer_id_number,campaign,date,note\n{customer.id_number},Madrid fair,2025-01-11,partner\n"
    assert tracking.import_touches(session, text) == 1
    bad = text + "NOPE,Madrid fair,2025-01-12,\n"
    with pytest.raises(UserError) as refused:
        tracking.import_touches(session, bad)
    assert "Line 3" in str(refused.value)
    # the view runs it in a savepoint: the refusal leaves nothing (tested through the page in test_views)


def test_cac_roi_and_roas_arithmetic():
    assert reports.cac(D("1000.00"), D("4")) == D("250.00")
    assert reports.cac(D("1000.00"), D("0.333334")) == D("2999.99")
    assert reports.cac(D("1000.00"), D("0")) is None
    assert reports.roi(D("1500.00"), D("1000.00")) == D("0.5000")
    assert reports.roi(D("500.00"), D("1000.00")) == D("-0.5000")
    assert reports.roi(D("500.00"), D("0")) is None
    assert reports.roas(D("2500.00"), D("1000.00")) == D("2.5000")


def test_the_margin_is_interest_and_fees_less_expected_loss(session, world):
    from plugins.lending import services as lending

    loan = lending.disburse(session, world.funded(amount=D("10000.00")))
    interest = sum((i.interest_due + i.fee_due for i in loan.installments), D(0))
    assert conversions.loan_margin(session, loan) == (interest + loan.origination_fee - D("300.00")).quantize(D("0.01"))


def test_models_agree_with_migrations(mutuo_db):
    from core.testing import assert_models_match_migrations

    assert_models_match_migrations(mutuo_db)
