import pytest

from core.testing import browser_login

pytestmark = pytest.mark.browser


def test_login_shows_menu(page, make_user):
    username, password = make_user(permissions=("core.dashboard.view", "sample.note.view"))
    browser_login(page, username, password)
    assert page.locator("h1").first.inner_text() == "Dashboard"
    assert page.locator("nav >> text=Notes").count() == 1
