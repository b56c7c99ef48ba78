"""A collector works their queue in a real browser; the supervisor sees the result in the reports."""
from datetime import date
from decimal import Decimal as D

import pytest
from sqlalchemy import select

from core.models.user import User
from core.testing import browser_login
from plugins.collections.services import assign_cases, set_queues
from plugins.lending import services as lending
from tests.plugins.collections.conftest import DISBURSED, close

pytestmark = pytest.mark.browser
TODAY = date(2025, 3, 10)


@pytest.fixture
def team_and_cases(session, world, make_user, clock):
    clock.day = TODAY
    make_user("ana", roles=("collector",), region="North")
    make_user("ben", roles=("collector",), region="South")
    make_user("sue", roles=("collections_supervisor",))
    users = {u.username: u for u in session.scalars(select(User))}
    set_queues(session, users["ana"], ("early",))
    set_queues(session, users["ben"], ("early",))
    for region, name in (("North", "Nora Northwind"), ("North", "Ned Northgate"), ("South", "Sam Southey")):
        borrower = lending.update_customer(session, world.customer(region=region, phone="+34 600 111 222"), name=name)
        world.loan(disbursed_on=DISBURSED, borrower=borrower, amount=D("6000.00"))
    close(session, date(2025, 3, 1), start=date(2025, 3, 1))
    assign_cases(session)
    session.commit()
    session.close()


def test_collector_logs_a_promise_and_the_supervisor_sees_it(team_and_cases, page, browser, live_server):
    browser_login(page, "ana")
    page.click("nav >> text=Collections")
    page.click("nav >> text=My queue")
    page.wait_for_selector("#queue")
    customers = page.locator("#queue tbody tr.queue-row td:nth-child(3)").all_inner_texts()
    assert sorted(customers) == ["Ned Northgate", "Nora Northwind"]  # Sam Southey is ben's
    assert page.inner_text("#count-cases") == "2"

    row = page.locator("#queue tr.queue-row", has_text="Nora Northwind")
    row.locator("a.log-contact").click()
    page.select_option("select[name=channel]", "call")
    page.select_option("select[name=outcome]", "promise_to_pay")
    page.fill("textarea[name=note]", "Promised after payday")
    page.fill("input[name=promise_amount]", "300.00")
    page.fill("input[name=promise_due]", "2025-03-14")
    page.click("button[name=log]")
    page.wait_for_url("**/collections/queue**")
    assert "Call logged" in page.inner_text("main")
    assert page.locator("#queue tr.queue-row", has_text="Nora Northwind").locator("td").nth(8).inner_text() == \
        "promised"

    supervisor = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 900})
    try:
        boss = supervisor.new_page()
        browser_login(boss, "sue")
        boss.goto("/collections/reports")
        boss.fill("input[name=month]", "2025-03")
        boss.click("text=Month")
        boss.click("#report-links >> text=Right-party contact rate")
        table = boss.locator("#report-table")
        assert table.locator("tr", has_text="ana").locator("td").all_inner_texts() == ["ana", "1", "1", "100.0%", "1"]  # h.percent: English writes no space
        assert boss.locator(".chart svg").count() == 1
        boss.click("text=Per-collector performance")
        assert boss.locator("#report-table tr", has_text="ana").count() == 1
        boss.goto("/collections/promises")
        assert "Nora Northwind" in boss.inner_text(".listing") and "300.00" in boss.inner_text(".listing")
    finally:
        supervisor.close()


def test_on_a_phone_the_queue_is_cards_with_the_phone_and_the_buttons_first(team_and_cases, page):
    page.set_viewport_size({"width": 390, "height": 844})
    browser_login(page, "ana")
    page.goto("/collections/queue")
    card = page.locator("#queue tr.queue-row").first
    cells = card.locator("td:visible")
    boxes = [(cells.nth(i).bounding_box(), cells.nth(i).inner_text()) for i in range(cells.count())]
    assert len({round(box["x"]) for box, _text in boxes}) == 1  # one column of fields, not a row off the screen
    first = [text for _box, text in sorted(boxes, key=lambda b: b[0]["y"])][:3]  # as the eye reads the card
    assert first[1] == "+34 600 111 222" and "Log contact" in first[2] and "No answer" in first[2]
    for button in (card.locator("a.log-contact"), card.locator("button.quick-no-answer")):
        box = button.bounding_box()
        assert button.is_visible() and box["x"] >= 0 and box["x"] + box["width"] <= 390
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
