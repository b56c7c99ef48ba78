"""A Spanish-speaking user in a real browser: core's screens show no English words of the UI (issue 13)."""
import re
from datetime import UTC, datetime

import pytest

from core.testing import browser_login

pytestmark = pytest.mark.browser

#: Core's English words that must not show in the page's own content on a Spanish page.
ENGLISH = ("Log out", "Dashboard", "Audit log", "found", "Export CSV", "Nothing matches", "Previous", "Filter",
           "Clear", "Not found", "Users", "Permissions", "History", "Documents", "Edit", "Effective permissions",
           "Last login", "Back to the start page", "Full name", "Action", "When", "Required", "Create")


def english_in(page) -> list[str]:
    text = page.locator("main").inner_text() + " " + page.title()
    return [word for word in ENGLISH if re.search(r"\b" + re.escape(word) + r"\b", text)]


def test_a_spanish_user_sees_core_in_spanish(page, make_user):
    username, password = make_user(permissions=("core.dashboard.view", "core.audit.view", "core.user.view",
                                                "core.user.manage", "core.role.view", "core.role.manage"),
                                   locale="es")
    browser_login(page, username, password)
    assert page.locator("h1").first.inner_text() == "Panel"
    assert page.locator("html").get_attribute("lang") == "es"
    assert english_in(page) == []

    page.goto("/admin/audit")  # a list, with a date filter typed the Spanish way
    assert page.locator("h1").first.inner_text() == "Registro de auditoría"
    since = page.locator("input[name=since]")
    assert since.get_attribute("placeholder") == "dd/mm/aaaa"
    since.fill(datetime.now(UTC).strftime("%d/%m/%Y"))
    page.click("main form button[type=submit]")
    page.wait_for_load_state()
    assert page.locator(".listing-errors").count() == 0
    assert re.fullmatch(r"[\d.]+ resultados?", page.locator(".list-total").inner_text())
    assert english_in(page) == []

    page.goto("/admin/users")
    page.click(f"table.listing a:text-is('{username}')")  # a record page
    assert page.locator("text=Permisos efectivos").count() == 1
    assert english_in(page) == []

    page.goto("/admin/roles/new")  # a form error
    page.fill("input[name=name]", "Mal Nombre")
    page.fill("input[name=title]", "Mal")
    with page.expect_navigation():
        page.click("button[name=create]")
    assert "Use letras minúsculas, cifras y guiones bajos" in page.locator("main").inner_text()
    assert english_in(page) == []

    page.goto("/no/such/page")  # the 404 page
    assert page.locator("h1").first.inner_text() == "No encontrado"
    assert english_in(page) == []
