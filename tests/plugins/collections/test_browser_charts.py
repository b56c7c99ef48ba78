"""Charts in a real browser: the dashboard and a report draw them with no Content-Security-Policy violation."""
from datetime import date

import pytest

from core.testing import browser_login
from tests.plugins.collections.test_views import book  # noqa: F401  (the fixture)

pytestmark = pytest.mark.browser
TODAY = date(2025, 3, 10)


@pytest.fixture(autouse=True)
def _today(clock):
    clock.day = TODAY


def test_charts_draw_without_csp_violations(book, make_user, page):  # noqa: F811
    make_user("boss", roles=("operations_manager", "collections_supervisor"))
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    browser_login(page, "boss")
    for path in ("/", "/collections/reports/recovery?month=2025-03", "/collections/reports/region?month=2025-03"):
        page.goto(path)
        assert page.locator(".chart svg.mutuo-chart").count() >= 1, path
    page.goto("/")
    charts = page.locator(".widget .chart svg")
    assert charts.count() >= 6  # products, lending (4) and collections (2) widgets
    # The stylesheet, not an inline <style>, colours the bars: a series has its palette colour.
    assert page.locator(".widget .chart svg .color-0 rect").first.evaluate(
        "e => getComputedStyle(e).fill") == "rgb(13, 110, 253)"
    # Every console error is the console-error test's (15.5) business; these are the charts'.
    assert [p for p in problems if "Content Security Policy" in p or "Refused" in p or "page error" in p] == []
