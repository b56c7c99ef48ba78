"""A Spanish-speaking user sees no English of the UI (issue 13), with every built plugin enabled.

Two nets: every message of the catalogues whose Spanish differs is known, so a
text of the page equal to an English message is a leak; and English function
words ("the", "your", "found"…) that no Spanish sentence holds betray strings
nobody marked. Test data names ("Customer 3", "Product 1") hold neither.
"""
from __future__ import annotations

import re
from datetime import date
from decimal import Decimal as D
from functools import cache
from urllib.parse import urlparse

import pytest
from babel.messages.pofile import read_po

from core.i18n_catalogs import catalogues
from core.testing import browser_login, login
from plugins.collections.services import assign_cases
from tests.plugins.collections.conftest import DISBURSED, close

TODAY = date(2025, 3, 10)
ENGLISH_WORDS = re.compile(
    r"\b(the|and|your|you|this|with|from|found|must|will|was|were|been|has|have|should|there|which|"
    r"Save|Search|Filter|Clear|Export|Previous|Next|Nothing|Dashboard|Log out|Customers|Loans|Applications|"
    r"Products|Cases|Amount|Status|Balance|Page)\b")
#: Visible parts of the screen the UI writes (data shows in table cells and values).
UI = "h1, h2, h3, h4, h5, th, label, button, legend, .nav-link, .dropdown-item, .alert, .form-text, " \
     ".help-block, .badge, .card-title, caption, .list-total, .pagination, p, dt, option, summary"


@cache
def english_messages() -> frozenset[str]:
    """Every msgid whose Spanish differs, without ${placeholders} (they are whole texts on screen)."""
    found = set()
    for catalogue in catalogues():
        path = catalogue.po("es")
        if not path.exists():
            continue
        with path.open("rb") as handle:
            for message in read_po(handle):
                msgid = message.id if isinstance(message.id, str) else message.id[0]
                string = message.string if isinstance(message.string, str) else (message.string or [""])[0]
                if msgid and "${" not in msgid and string and string != msgid and len(msgid) > 3:
                    found.add(msgid)
    return frozenset(found)


def english_on(texts) -> list[str]:
    leaks = []
    known = english_messages()
    for text in texts:
        text = " ".join(text.split())
        if not text:
            continue
        if text in known or ENGLISH_WORDS.search(text):
            leaks.append(text)
    return leaks


@pytest.fixture
def book(session, world, make_user, clock):
    """Loans, one overdue into collections, a case assigned; an admin and a collector speaking Spanish."""
    from plugins.lending import services as lending

    clock.day = TODAY
    make_user("marta", roles=("admin",), locale="es")
    make_user("ana", roles=("collector", "staff"), locale="es", region="Norte")
    borrower = lending.update_customer(session, world.customer(region="Norte", phone="+34 600 111 222"),
                                       name="Nora Núñez")
    world.loan(disbursed_on=DISBURSED, borrower=borrower, amount=D("6000.00"))
    world.application(amount=D("12500.50"))
    close(session, date(2025, 3, 1), start=date(2025, 3, 1))
    assign_cases(session)
    session.commit()


def _pages_to_visit(testapp) -> list[str]:
    """Every menu entry, then the first record linked from each list."""
    home = testapp.get("/")
    menu = [a["href"] for a in home.html.select("nav a.nav-link[href], nav a.dropdown-item[href]")
            if a["href"] not in ("#",)]
    paths = [urlparse(href).path + ("?" + urlparse(href).query if urlparse(href).query else "") for href in menu]
    records = []
    for path in paths:
        page = testapp.get(path, expect_errors=True)
        if page.status_int != 200 or "html" not in page.content_type:
            continue
        first = page.html.select_one("table.listing tbody a[href]")
        if first is not None:
            records.append(urlparse(first["href"]).path)
    return list(dict.fromkeys(["/", *paths, *records]))


def test_every_screen_of_the_menu_speaks_spanish(book, testapp):
    login(testapp, "marta")
    leaks = {}
    visited = _pages_to_visit(testapp)
    assert len(visited) > 15, visited
    for path in visited:
        page = testapp.get(path, expect_errors=True)
        assert page.status_int < 500, path
        if "html" not in page.content_type:
            continue
        assert page.html.html["lang"] == "es", path
        found = english_on(node.get_text(" ") for node in page.html.select(UI))
        found += english_on(a.get(name, "") for a in page.html.select("[title], [placeholder], [aria-label]")
                            for name in ("title", "placeholder", "aria-label"))
        if found:
            leaks[path] = found[:8]
    assert not leaks, "\n".join(f"{path}: {found}" for path, found in leaks.items())


def test_spanish_numbers_dates_and_typing(book, testapp):
    login(testapp, "marta")
    page = testapp.get("/lending/applications")
    assert "12.500,50" in page.text  # grouped with dots, decimals after a comma
    assert "12500.50" not in page.text and "12,500.50" not in page.text


@pytest.mark.browser
def test_a_spanish_user_in_the_browser(book, page):
    browser_login(page, "marta")
    screens = {"dashboard": "/", "list": "/lending/customers", "404": "/no-such-page"}
    for name, path in screens.items():
        page.goto(path)
        assert page.locator("html").get_attribute("lang") == "es"
        texts = page.locator(UI).all_inner_texts()
        assert not english_on(texts), (name, english_on(texts))
    page.goto("/lending/customers")
    page.locator("table.listing tbody a").first.click()
    page.wait_for_load_state()
    assert not english_on(page.locator(UI).all_inner_texts()), ("record", english_on(page.locator(UI).all_inner_texts()))
    # a form error: the new-customer form sent empty
    page.goto("/lending/customers/new")
    page.evaluate("document.querySelectorAll('main form').forEach(f => f.noValidate = true)")  # the server's check
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_load_state()
    errors = [t for t in page.locator(".invalid-feedback, .help-block, .alert-danger, .error").all_inner_texts()
              if t.strip()]
    assert errors and not english_on(errors), errors
    assert not english_on(page.locator(UI).all_inner_texts())
