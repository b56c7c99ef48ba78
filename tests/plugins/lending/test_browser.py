"""A real browser walks application → approval → investments → disbursement → repayment."""
from datetime import date
from decimal import Decimal as D

import pytest

from core import context
from core.testing import browser_login

from .conftest import SETTINGS, World

pytestmark = pytest.mark.browser


def test_application_to_repayment_in_the_browser(page, mutuo_db, make_user, clock):
    clock.day = date(2025, 6, 2)

    def prepare(session):
        context.bind(session, pm=mutuo_db.pm, settings={**SETTINGS, **mutuo_db.settings})
        world = World(session, mutuo_db.documents, clock)
        version = world.product(min_investment=D("100.00"), investment_increment=D("50.00"))
        borrower = world.customer(role="borrower")
        first, second = world.investor(cash=D("5000.00")), world.investor(cash=D("5000.00"))
        return version.product.code, borrower.id, first.id, second.id

    product_code, borrower_id, first_id, second_id = mutuo_db.transaction(prepare)
    username, password = make_user(roles=("operations_manager",))
    page.on("dialog", lambda dialog: dialog.accept())  # the data-confirm buttons
    browser_login(page, username, password)

    # The application, with a field error first. The product is chosen by typing its code in the
    # lookup (a combobox: arrow down, Enter); after the error the field still names the product.
    page.goto(f"/lending/applications/new?customer_id={borrower_id}")
    product = page.get_by_role("combobox", name="Product")
    product.press_sequentially(product_code.lower())
    page.get_by_role("option").first.wait_for()
    product.press("ArrowDown")
    product.press("Enter")
    assert page.get_by_role("listbox").is_hidden()
    assert page.locator("input[type=hidden][name=product_version_id]").input_value() != ""
    page.fill("input[name=amount]", "6000.00")
    page.fill("input[name=term_months]", "60")
    page.click("button[name=create]")
    assert page.locator("text=The term must be between 3 and 36 months").count() >= 1
    assert page.locator(".form-error-summary a").count() == 1  # the summary links the one field in error
    assert product_code in page.get_by_role("combobox", name="Product").input_value()
    page.fill("input[name=term_months]", "12")
    page.fill("textarea[name=purpose]", "Delivery van")
    page.click("button[name=create]")
    assert page.locator("#application-status").text_content() == "draft"

    # Submit; nobody else reviews it, so the manager approves by hand; then list it (before the disbursement date).
    clock.day = date(2025, 4, 28)
    page.click("#btn-submit")
    assert page.locator("#application-status").text_content() == "submitted"
    page.fill("#reason", "Stable income, verified documents")
    page.click("#btn-approve")
    assert page.locator("#application-status").text_content() == "approved"
    page.click("#btn-list")
    assert page.locator("#application-status").text_content() == "listed"

    # Two investors fund it; the board shows it while it is open.
    page.goto("/lending/funding")
    assert page.locator("table.listing >> text=6,000.00").count() >= 1
    page.go_back()
    for investor_id, amount in ((first_id, "3500.00"), (second_id, "2500.00")):
        page.click("#btn-invest")
        investor = page.get_by_role("combobox", name="Investor")
        investor.fill(str(investor_id))  # the customer number is a match too, ranked first
        page.get_by_role("option").first.click()
        page.fill("input[name=amount]", amount)
        page.click("button[name=invest]")
    assert page.locator("#application-status").text_content() == "funded"
    assert page.locator("#investments tr").count() == 3  # header + two reservations

    # Disburse: a loan with its schedule; the fee is kept from the payout.
    clock.day = date(2025, 6, 2)
    page.fill("#disbursed_on", "2025-05-01")
    page.click("#btn-disburse")
    assert page.locator("text=paid out after an origination fee of 120.00").count() == 1
    assert page.locator("#schedule tr.installment").count() == 12
    assert page.locator("#investors >> text=58.3333%").count() == 1  # h.percent: CLDR "#,##0%" in English

    # Post the first installment (due 2025-06-01): 6,000.00 at 12 % over 12 months is 533.09 a month.
    assert page.locator("#schedule tr.installment").first.locator("td.money").last.inner_text() == "533.09"
    page.click("#btn-repay")
    page.fill("input[name=amount]", "533.09")
    page.fill("input[name=paid_on]", "2025-06-01")
    page.fill("input[name=reference]", "BANK-TRANSFER-77")
    page.click("button[name=post]")
    assert page.locator("text=Repayment BANK-TRANSFER-77 of 533.09 posted").count() == 1
    assert page.locator("#repayments >> text=BANK-TRANSFER-77").count() == 1

    # The investors were paid their shares, to the cent: 533.09 - 1 % service fee = 527.76, split 7:5.
    page.goto(f"/lending/customers/{first_id}/statement")
    assert page.locator("#statement-entries td.money >> text=307.86").count() == 1
    page.goto(f"/lending/customers/{second_id}/statement")
    assert page.locator("#statement-entries td.money >> text=219.90").count() == 1


def test_a_spanish_user_disburses_and_posts_a_repayment_in_the_browser(page, mutuo_db, make_user, clock):
    clock.day = date(2025, 6, 2)

    def prepare(session):
        context.bind(session, pm=mutuo_db.pm, settings={**SETTINGS, **mutuo_db.settings})
        world = World(session, mutuo_db.documents, clock)
        with clock.at(date(2025, 4, 28)):
            return world.funded(amount=D("6000.00")).id

    application_id = mutuo_db.transaction(prepare)
    username, password = make_user(roles=("operations_manager",), locale="es")
    page.on("dialog", lambda dialog: dialog.accept())
    browser_login(page, username, password)

    page.goto(f"/lending/applications/{application_id}")
    assert page.locator("#application-status").text_content() == "financiada"
    assert page.locator("#disbursed_on").get_attribute("placeholder") == "dd/mm/aaaa"
    page.fill("#disbursed_on", "01/05/2025")
    page.click("#btn-disburse")
    assert page.locator("text=se pagaron 5.880,00 tras una comisión de apertura de 120,00").count() == 1
    assert page.locator("#schedule tr.installment").first.locator("td").nth(1).inner_text() == "1 jun 2025"

    page.click("#btn-repay")
    page.fill("input[name=amount]", "533,09")
    page.fill("input[name=paid_on]", "01/06/2025")
    page.fill("input[name=reference]", "TRANSFERENCIA-1")
    page.click("button[name=post]")
    assert page.locator("text=Pago TRANSFERENCIA-1 de 533,09 registrado").count() == 1
    assert page.locator("#schedule td.installment-state").first.inner_text() == "pagada"
