"""In a real browser: an agent logs a hotline call about a repayment, routes it to collections, the collector
answers, the agent solves it, and the customer's survey answer shows in the supervisor's report."""
import pytest
from sqlalchemy import select

from core.testing import browser_login
from plugins.lending import services as lending

pytestmark = pytest.mark.browser


@pytest.fixture
def desk(session, world, make_user):
    make_user("agent", roles=("service_agent",))
    make_user("boss", roles=("service_supervisor",))
    make_user("carl", roles=("collector", "department_contact"))
    loan = world.loan()
    lending.update_customer(session, loan.customer, name="Rosa Pagadora", phone="+34 622 333 444",
                            email="rosa@example.com")
    session.commit()
    session.close()


def test_a_routed_hotline_call_from_logging_to_the_report(desk, page, browser, live_server, mutuo_db):
    from plugins.service.models import Survey

    browser_login(page, "agent")
    page.goto("/service/tickets/new")
    page.fill("input[name=subject]", "Cannot pay on the 15th")
    page.select_option("select[name=category]", "repayment")
    page.fill("input[name=contact_phone]", "622 333 444")
    page.fill("textarea[name=body]", "Asks to move the installment date")
    page.click("button[name=create]")
    page.wait_for_selector("#ticket-title")
    assert "Rosa Pagadora" in page.inner_text("#ticket-fields")
    page.select_option("#department", "collections")
    page.fill("#route-form input[name=note]", "Please agree a new date")
    page.click("#route-form button")
    page.wait_for_selector("text=Ticket routed.")
    assert page.inner_text("#ticket-status") == "waiting department"
    ticket_url = page.url

    collector = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 900})
    try:
        carl = collector.new_page()
        browser_login(carl, "carl")
        carl.goto("/service/queue")
        card = carl.locator(".card", has_text="Cannot pay on the 15th")
        card.locator("textarea[name=answer]").fill("New date agreed: the 25th")
        card.locator("button").click()
        carl.wait_for_selector("text=Answer recorded")
    finally:
        collector.close()

    page.goto(ticket_url)
    assert "New date agreed: the 25th" in page.inner_text("#thread")
    page.fill("#reply-body", "Your new date is the 25th.")
    page.click("#send-reply")
    page.wait_for_selector("text=Reply sent.")
    page.click("#status-solved")
    page.wait_for_selector("text=Status changed.")
    assert page.inner_text("#ticket-status") == "solved"

    token = mutuo_db.transaction(lambda s: s.scalars(select(Survey.token)).one())
    customer = browser.new_context(base_url=live_server, viewport={"width": 390, "height": 844})
    try:
        rosa = customer.new_page()
        rosa.goto(f"/service/survey/{token}")
        rosa.check("input[name=score][value='4']")
        rosa.click("#survey-send")
        rosa.wait_for_selector("#public-done")
    finally:
        customer.close()

    supervisor = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 900})
    try:
        boss = supervisor.new_page()
        browser_login(boss, "boss")
        boss.goto("/service/reports")
        assert boss.locator("#csat-agents tr", has_text="agent").locator("td").all_inner_texts() == \
            ["agent", "100 %", "1"]
        assert boss.locator(".chart svg").count() == 6
    finally:
        supervisor.close()
