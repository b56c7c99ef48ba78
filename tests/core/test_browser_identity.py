"""Browser journey: an admin builds a role and a user; that user sees only what the role allows."""
import pytest

from core.testing import browser_login

pytestmark = pytest.mark.browser


def test_admin_creates_role_and_user_who_sees_only_allowed_menu(page, make_user):
    admin, password = make_user("chief", roles=("admin",))
    browser_login(page, admin, password)

    page.goto("/admin/roles/new")
    page.fill("input[name=name]", "note_reader")
    page.fill("input[name=title]", "Note reader")
    page.click("button[name=create]")
    page.wait_for_selector("#role-permissions")
    page.check("#perm-core\\.dashboard\\.view")
    page.check("#perm-sample\\.note\\.view")
    page.click("button[name=save_permissions]")
    page.wait_for_selector("text=Permissions of note_reader saved.")

    page.goto("/admin/users/new")
    page.fill("input[name=username]", "reader")
    page.fill("input[name=password]", "reader-password-1")
    page.fill("input[name=password-confirm]", "reader-password-1")
    page.check("input[type=checkbox][value=note_reader]")
    page.click("button[name=create]")
    page.wait_for_selector("text=User reader created.")

    page.context.clear_cookies()
    browser_login(page, "reader", "reader-password-1")
    nav = page.locator("nav").inner_text()
    assert page.locator("nav a[href$='/sample/notes']").count() == 1
    assert "Admin" not in nav and page.locator("nav a[href$='/admin/users']").count() == 0
    page.goto("/admin/users")
    assert page.locator("h1").inner_text() == "Not allowed"
    assert "core.user.view" in page.locator("#error-message").inner_text()


def test_phone_width_menu_collapses(page, make_user):
    username, password = make_user(permissions=("core.dashboard.view", "sample.note.view"))
    page.set_viewport_size({"width": 375, "height": 740})
    browser_login(page, username, password)
    assert not page.locator("#mainnav >> text=Sample").is_visible()
    page.click(".navbar-toggler")
    page.click("#mainnav >> text=Sample")
    page.locator("#mainnav >> text=Notes").wait_for(state="visible")


def test_account_page_scoped_key_and_log_out_everywhere(page, make_user):
    """The account page in a real browser: a read-only key by default, revoke it, end every session."""
    username, password = make_user(permissions=("core.dashboard.view", "sample.note.view", "sample.note.manage"))
    page.on("dialog", lambda dialog: dialog.accept())  # the data-confirm buttons
    browser_login(page, username, password)
    page.goto("/account")
    assert page.is_checked("input[type=checkbox][value='sample.note.view']")
    assert not page.is_checked("input[type=checkbox][value='sample.note.manage']")
    page.fill("input[name=name]", "export")
    page.click("button[name=create_key]")
    page.wait_for_selector("#new-api-key code")
    assert "sample.note.view" in page.locator("#api-keys").inner_text()
    with page.expect_navigation():
        page.click("#api-keys button:has-text('Revoke')")
    page.wait_for_selector("#api-keys .badge:has-text('revoked')")
    with page.expect_navigation():
        page.click("#logout-everywhere")
    assert "/login" in page.url
    page.goto("/account")
    assert "/login" in page.url
