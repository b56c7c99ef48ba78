"""At 1440 px the audit log and the permission matrix fit the page (the matrix scrolls in its own box) and
the role page breaks no Content-Security-Policy rule."""
import pytest

from core.models.user import Role
from core.testing import browser_login

from .test_views import build, data  # noqa: F401  (fixtures: loans, repayments, applications in the audit log)

pytestmark = pytest.mark.browser


def test_history_screens_fit_at_1440_without_console_errors(page, make_user, data, mutuo_db):  # noqa: F811
    with mutuo_db.session_factory() as s:
        role = s.query(Role).filter_by(name="operations_manager").one().id
    errors: list[str] = []
    # CSP violations (the role page had 39 inline styles); other console errors are the console-error test's
    page.on("console", lambda m: errors.append(m.text) if "Content Security Policy" in m.text else None)
    page.set_viewport_size({"width": 1440, "height": 900})
    browser_login(page, *make_user(roles=("admin",)))
    for path in ("/admin/audit?per_page=100", f"/lending/loans/{data['loan']}", "/admin/permissions",
                 f"/admin/permissions?role={role}", f"/admin/roles/{role}"):
        page.goto(path)
        page.locator("main h1").first.wait_for()
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 1440, (path, width)
    page.goto("/admin/permissions")
    first = page.locator("#permission-matrix tbody th.perm-name").first
    assert first.evaluate("e => getComputedStyle(e).position") == "sticky"
    assert errors == []
