"""In a real browser: a marketer creates a campaign with a tracked link and books its cost; a visitor clicks and
leaves her e-mail; lending registers and funds her; the campaign's page shows the conversion and its CAC."""
from __future__ import annotations

from datetime import date

import pytest

from core.testing import browser_login
from plugins.lending import services as lending
from plugins.marketing.services import campaigns

pytestmark = pytest.mark.browser


@pytest.fixture
def marketer(session, make_user, clock):
    clock.day = date(2025, 3, 10)
    make_user("mara", roles=("marketing_manager",))
    campaigns.create_channel(session, "Social ads", "social")
    session.commit()


def test_a_campaign_link_brings_a_funded_customer_and_its_cac(marketer, page, browser, live_server, world, session):
    browser_login(page, "mara")
    page.goto("/marketing/campaigns/new")
    page.fill("input[name=name]", "Spring savers")
    page.select_option("select[name=channel_id]", label="Social ads")
    page.fill("input[name=starts_on]", "2025-03-01")
    page.fill("input[name=budget]", "900.00")
    page.click("button[name=create]")
    page.wait_for_selector("#campaign-title")
    campaign_url = page.url
    page.click("#btn-new-link")
    page.fill("input[name=target_url]", f"{live_server}/marketing/join")
    page.fill("input[name=code]", "spring25")
    page.click("button[name=create]")
    page.wait_for_selector("#links code.link-url")
    short = page.inner_text("#links code.link-url")
    assert short.endswith("/r/spring25")
    page.click("#btn-add-spend")
    page.fill("input[name=amount]", "600.00")
    page.fill("input[name=spent_on]", "2025-03-05")
    page.click("button[name=add]")
    page.wait_for_selector("#budget-actual")

    visitor = browser.new_context(viewport={"width": 390, "height": 844})
    try:
        phone = visitor.new_page()
        phone.goto(f"{live_server}/r/spring25")
        assert "/marketing/join?utm_source=social-ads" in phone.url
        phone.fill("#join-email", "lucia@example.test")
        phone.click("#join-submit")
        phone.wait_for_selector("#join-done")
    finally:
        visitor.close()

    # Lending's clerk registers Lucía with the e-mail she gave; she is verified, funded and paid out.
    borrower = world.customer(email="lucia@example.test")
    lending.disburse(session, world.funded(borrower=borrower))
    session.commit()

    page.goto(campaign_url)
    models = page.locator("#models tr", has_text="last touch")
    cells = models.locator("td").all_inner_texts()
    assert cells[1] == "1.00"  # one funded customer credited to the campaign
    assert cells[3] == "600.00" and cells[4] == "600.00"  # cost, and CAC = 600 / 1
    page.goto("/marketing/report?model=linear&from=2025-03-01&to=2025-03-10")
    funnel = " ".join(page.inner_text("#funnel").split())
    assert funnel == "Funnel: clicks 1 → registrations 1 → verified 1 → funded 1"
    assert page.locator("#report-table tr", has_text="Spring savers").count() == 1
