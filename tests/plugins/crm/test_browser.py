"""A manager sets and splits a target; a representative moves an opportunity on the board and it is won
when lending funds its application; the attainment report shows it — in a real browser."""
from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest
from sqlalchemy import select

from core.models.user import User
from core.testing import browser_login
from plugins.crm.services import accounts, pipeline, targets

pytestmark = pytest.mark.browser
TODAY = date(2026, 3, 10)


@pytest.fixture
def sales(session, world, make_user, clock):
    clock.day = TODAY
    make_user("marta", roles=("sales_manager",))
    make_user("ana", roles=("sales_representative",))
    users = {u.username: u for u in session.scalars(select(User))}
    for n, (name, p) in enumerate((("Lead", "0.10"), ("Proposal", "0.60"), ("Negotiation", "0.80"))):
        pipeline.save_stage(session, name, D(p), position=n)
    team = targets.create_team(session, "North", users["marta"].id)
    targets.add_member(session, team, users["ana"].id, date(2025, 1, 1))
    application = world.listed(amount=D("12000.00"))
    account = accounts.create_account(session, name="Talleres Norte", kind="borrower", owner_id=users["ana"].id)
    opportunity = pipeline.create_opportunity(session, account, "Workshop machinery", D("12000.00"),
                                              users["ana"].id)
    pipeline.link_application(session, opportunity, application.id)
    investor = world.investor()
    ids = {"application": application.id, "investor": investor.id, "opportunity": opportunity.id}
    session.commit()
    session.close()
    return ids


def test_target_split_opportunity_won_on_funding_and_attainment(sales, page, browser, live_server, mutuo_db):
    from plugins.lending import services as lending
    from plugins.lending.models import Application, Customer

    # the manager sets the year's target and splits it to the team
    browser_login(page, "marta")
    page.goto("/crm/targets")
    page.fill("input[name=year]", "2026")
    page.fill("input[name=amount]", "120000.00")
    page.click("button[name=set]")
    page.wait_for_selector("#form-split")
    page.locator("#form-split input[name^=team_]").fill("100")
    page.click("#btn-split")
    page.wait_for_selector("text=every level adds up exactly")
    assert "120,000.00" in page.inner_text("#decomposition")
    assert "10,000.00" in page.inner_text("#attainment-months")

    rep = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 900})
    try:
        ana = rep.new_page()
        browser_login(ana, "ana")
        ana.goto("/crm/board")
        card = ana.locator(f"#card-{sales['opportunity']}")
        card.locator("select[name=stage_id]").select_option(label="Negotiation")
        card.locator("button").click()
        ana.wait_for_selector("text=moved to Negotiation")
        column = ana.locator("section[data-stage]", has_text="Negotiation")
        assert column.locator(f"#card-{sales['opportunity']}").count() == 1

        # investors fund the application: lending's event wins the opportunity
        mutuo_db.transaction(lambda s: lending.invest(s, s.get(Application, sales["application"]),
                                                      s.get(Customer, sales["investor"]), D("12000.00")))
        ana.goto(f"/crm/opportunities/{sales['opportunity']}")
        assert ana.inner_text("#opportunity-status") == "won"
        assert "12,000.00" in ana.inner_text("#opportunity-won")
        ana.goto("/crm/board")
        assert ana.locator(f"#card-{sales['opportunity']}").count() == 0  # won: off the open pipeline
    finally:
        rep.close()

    page.goto("/crm/targets")
    page.click("#targets >> text=2026")
    row = page.locator("#attainment tr", has_text="ana")
    assert row.locator("td").all_inner_texts() == ["1", "ana", "120,000.00", "12,000.00", "-108,000.00", "10.0%"]
    assert page.locator(".chart svg").count() == 1
