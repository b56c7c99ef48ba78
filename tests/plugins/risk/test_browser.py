"""A loan officer submits an application; risk scores and refers it; the committee votes it through in a
real browser; lending lists it for funding."""
from datetime import date
from decimal import Decimal as D

import pytest

from core.testing import browser_login

pytestmark = pytest.mark.browser
TODAY = date(2025, 3, 10)


@pytest.fixture
def draft(session, world, make_user, clock):
    clock.day = TODAY
    make_user("olga", roles=("loan_officer",))
    make_user("boss", roles=("risk_manager",))
    for name in ("mia", "max", "kim"):
        make_user(name, roles=("risk_committee_member",))
    application = world.application(amount=D("40000.00"), term=24)   # above risk.max_amount: referred
    app_id = application.id
    session.commit()
    session.close()
    return app_id


def test_officer_submits_committee_votes_it_through_and_lending_lists_it(draft, page, browser, live_server):
    browser_login(page, "olga")
    page.goto(f"/lending/applications/{draft}")
    page.click("#btn-submit")
    page.wait_for_selector("#review-pending")

    boss_context = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 900})
    try:
        boss = boss_context.new_page()
        browser_login(boss, "boss")
        boss.goto("/risk/reviews")
        boss.click(".listing td a >> nth=0")
        assert boss.inner_text("#review-status") == "referred"
        assert boss.inner_text("#review-outcome") == "refer"
        assert boss.locator("#explanation tbody tr, #explanation tr").count() >= 7
        boss.click("#committee a")
        meeting_url = boss.url
        for _ in range(3):
            boss.locator("#attendance button", has_text="Present").first.click()
            boss.wait_for_load_state()
        assert boss.locator("#attendance .member-present", has_text="yes").count() == 3

        for member in ("mia", "max"):
            context = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 900})
            try:
                voter = context.new_page()
                browser_login(voter, member)
                voter.goto(meeting_url)
                voter.click("#agenda button.vote-approve")
                assert "Vote recorded" in voter.inner_text("main")
            finally:
                context.close()

        boss.goto(meeting_url)
        boss.click("#btn-close-meeting")
        assert boss.inner_text(".item-decision") == "approved"
        assert boss.inner_text("#meeting-status") == "closed"
    finally:
        boss_context.close()

    page.goto(f"/lending/applications/{draft}")
    assert "approved" in page.inner_text("main").lower()
    page.click("#btn-list")
    page.wait_for_selector("#btn-invest, .alert")
    assert "listed" in page.inner_text("main").lower()
