"""A user opens the calculator, enters a 12-month annuity and reads the schedule."""
import pytest

from core.testing import browser_login

pytestmark = pytest.mark.browser


def test_calculator_shows_a_twelve_month_annuity(page, make_user):
    username, password = make_user(permissions=("core.dashboard.view", "products.view"))
    browser_login(page, username, password)
    page.click("nav >> text=Products")  # the dropdown
    page.click("nav >> text=Calculator")
    page.fill("#amount", "10000.00")
    page.fill("#term_months", "12")
    page.fill("#rate", "12")
    page.select_option("#method", "equal_installment")
    page.fill("#first_due_date", "2025-01-31")
    page.fill("#fee_rate", "0")
    page.click("#calculate")
    page.wait_for_selector("#schedule")

    rows = page.locator("#schedule tbody tr")
    assert rows.count() == 12
    # The figures worked by hand in test_schedule.py.
    assert rows.nth(0).locator("td").all_inner_texts() == ["1", "Jan 31, 2025", "788.49", "100.00", "888.49", "9,211.51"]
    assert rows.nth(1).locator("td").all_inner_texts() == ["2", "Feb 28, 2025", "796.37", "92.12", "888.49", "8,415.14"]
    assert rows.nth(11).locator("td").all_inner_texts() == ["12", "Dec 31, 2025", "879.67", "8.80", "888.47", "0.00"]
    assert page.inner_text("#total-principal") == "10,000.00"
    assert page.inner_text("#total-interest") == "661.86"
    assert page.inner_text("#total-repaid") == "10,661.86"
    assert page.inner_text("#apr").startswith("12.0")


def test_calculator_says_what_is_wrong(page, make_user):
    username, password = make_user(permissions=("core.dashboard.view", "products.view"))
    browser_login(page, username, password)
    page.goto("/products/calculator")
    page.fill("#term_months", "0")
    page.click("#calculate")
    assert page.locator("#term_months.is-invalid").count() == 1
    assert "The term is from 1 to 600 months." in page.inner_text("form#calculator")


def test_a_spanish_user_types_the_spanish_way(page, make_user):
    username, password = make_user(permissions=("core.dashboard.view", "products.view"), locale="es")
    browser_login(page, username, password)
    page.click("nav >> text=Productos")  # the dropdown
    page.click("nav >> text=Calculadora")
    assert page.get_attribute("#first_due_date", "placeholder") == "dd/mm/aaaa"
    page.fill("#amount", "10.000,00")
    page.fill("#term_months", "12")
    page.fill("#rate", "12")
    page.select_option("#method", "equal_installment")
    page.fill("#first_due_date", "31/01/2025")
    page.fill("#fee_rate", "0")
    page.click("#calculate")
    page.wait_for_selector("#schedule")

    rows = page.locator("#schedule tbody tr")
    assert rows.nth(0).locator("td").all_inner_texts() == ["1", "31 ene 2025", "788,49", "100,00", "888,49", "9.211,51"]
    assert rows.nth(1).locator("td").all_inner_texts()[1] == "28 feb 2025"
    assert page.inner_text("#total-repaid") == "10.661,86"
    assert page.locator("#schedule thead th").all_inner_texts()[1] == "Vencimiento"

    page.fill("#term_months", "0")
    page.click("#calculate")
    assert "El plazo va de 1 a 600 meses." in page.inner_text("form#calculator")
