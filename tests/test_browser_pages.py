"""Every page of every installed plugin, in a real browser, as admin: it fits and it is clean.

One crawl (one browser, one login) serves both tests: it starts from the menu, visits every page
the menu reaches and the first record of every list on them, and looks at each one at 1440 px and
at 390 px (a phone), listening all along for console errors, CSP violations and failed requests.

- layout: the page body never scrolls sideways (``scrollWidth <= innerWidth``), list tables fit
  their column at 1440 px, no figure or text spills out of its card, and at 390 px every action button and a list's first record link are
  on the screen (lists become cards: docs/web.md, "Lists that fit").
- console: no console error, no Content-Security-Policy violation, no failed request, no answer >= 400.

Pages are discovered, not listed here: a new plugin's pages are checked as soon as it is installed.
"""
from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from core.plugins import available_plugins
from core.testing import browser_login

pytestmark = pytest.mark.browser

WIDE, PHONE = 1440, 390

#: Links a crawl must not follow: files to download, leaving the app.
SKIP = re.compile(r"/download|/logout|\.csv|format=csv|^tel:|^mailto:")

ADMIN = "crawl-admin"


@pytest.fixture
def mutuo_plugins():
    """Every installed plugin (entry points) and the sample plugin the core tests use."""
    return tuple(sorted({*available_plugins(), "sample"}))


def _load_demo(mutuo_db) -> None:
    """Each plugin's demo records, the way `mutuo demo load` writes them (one transaction per plugin)."""
    pm = mutuo_db.pm
    for owner in pm.implementers("mutuo_demo_data"):
        mutuo_db.transaction(lambda s, o=owner: pm.call_plugin(o, "mutuo_demo_data", session=s, scale=1),
                             actor="cli:demo load")


def _add_a_webhook(mutuo_db) -> None:
    from core.models.api import WebhookEndpoint

    mutuo_db.transaction(lambda s: s.add(WebhookEndpoint(
        url="https://hooks.example.test/mutuo/a-rather-long-path/that-should-not-widen-the-page/at-all",
        events="lending.loan_disbursed", secret="not-a-secret", description="An endpoint of the page crawl")))


PAGE_FACTS = """() => {
  const out = {scroll: document.documentElement.scrollWidth, inner: window.innerWidth, offscreen: [], tables: [],
               spills: []};
  const visible = el => el.offsetParent !== null && getComputedStyle(el).visibility !== 'hidden'
                        && !el.closest('details:not([open]) > :not(summary)');
  for (const el of document.querySelectorAll('main .btn, main table.listing tbody tr:first-child td.card-key a')) {
    if (!visible(el)) continue;
    const box = el.getBoundingClientRect();
    if (box.left < -1 || box.right > window.innerWidth + 1) out.offscreen.push((el.innerText || el.value || '').trim());
  }
  for (const box of document.querySelectorAll('main .card, main .border.rounded')) {  // figures stay in their card
    if (box.scrollWidth > box.clientWidth + 1) out.spills.push((box.innerText || '').trim().slice(0, 40));
  }
  for (const t of document.querySelectorAll('main table')) {
    out.tables.push({id: t.id || t.className, list: t.matches('.listing, .listing-cards'),
                     width: t.scrollWidth, room: t.parentElement.clientWidth});
  }
  return out;
}"""

LISTEN_CSP = """document.addEventListener('securitypolicyviolation', e =>
  console.error('CSP violation: ' + e.violatedDirective + ' blocked ' + (e.blockedURI || 'inline') +
                ' at ' + (e.sourceFile || '') + ':' + e.lineNumber));"""


def _record_links(page, list_path: str) -> list[str]:
    """The first record link of each table on a list page (one record per list)."""
    hrefs = page.eval_on_selector_all(
        "main table", """tables => tables.map(t => Array.from(t.querySelectorAll('tbody a[href]'))
                                     .map(a => a.getAttribute('href')))""")
    origin = urlsplit(page.url).netloc
    found = []
    for links in hrefs:
        for href in links:
            url = urlsplit(href)
            if url.netloc in ("", origin) and url.path.startswith("/") and url.path != list_path \
                    and not SKIP.search(href):
                found.append(url.path)
                break
    return found


def _shape(path: str) -> str:
    """A route's shape: /lending/loans/12 and /lending/loans/40 are the same page."""
    return re.sub(r"/\d+", "/{id}", path)


_crawl: dict = {}


def crawl(page, mutuo_db, make_user) -> dict:
    """Visit every page once (cached: both tests of this module read the same crawl)."""
    if _crawl:
        return _crawl
    _load_demo(mutuo_db)
    _add_a_webhook(mutuo_db)
    make_user(ADMIN, roles=("admin",))

    problems: dict[str, list[str]] = {}
    current = {"path": "/login"}

    def note(kind: str, text: str) -> None:
        problems.setdefault(current["path"], []).append(f"{kind}: {text}")

    page.add_init_script(LISTEN_CSP)
    page.on("console", lambda msg: note("console", msg.text) if msg.type == "error" else None)
    page.on("requestfailed", lambda req: note("request failed", f"{req.url} {req.failure}"))
    page.on("response", lambda resp: note("HTTP", f"{resp.status} {resp.url}") if resp.status >= 400 else None)

    page.set_viewport_size({"width": WIDE, "height": 900})
    browser_login(page, ADMIN)
    menu = page.eval_on_selector_all("nav a.nav-link[href], nav a.dropdown-item[href]",
                                     "links => links.map(a => a.getAttribute('href'))")
    todo = [urlsplit(h).path for h in menu if h and h != "#" and not SKIP.search(h)]  # absolute URLs
    todo = list(dict.fromkeys(p for p in todo if p.startswith("/")))
    menu_pages = set(todo)
    seen_shapes = {_shape(p) for p in todo}
    facts: dict[str, dict] = {}
    for path in todo:  # grows while we go: each list adds its first record
        current["path"] = path
        response = page.goto(path, wait_until="domcontentloaded")  # the CSS is in: scripts at the end wait for it
        assert response is not None
        facts[path] = {"wide": page.evaluate(PAGE_FACTS)}
        if path in menu_pages:
            for href in _record_links(page, path):
                if _shape(urlsplit(href).path) not in seen_shapes:
                    seen_shapes.add(_shape(urlsplit(href).path))
                    todo.append(href)
        page.set_viewport_size({"width": PHONE, "height": 844})
        facts[path]["phone"] = page.evaluate(PAGE_FACTS)
        page.set_viewport_size({"width": WIDE, "height": 900})
    for path, seen in facts.items():  # the figures, for `pytest -s` (docs/web.md, "Lists that fit")
        widest = max((t["width"] for t in seen["wide"]["tables"]), default=0)
        print(f"{path:50} widest table {widest:5} px at {WIDE}; page {seen['phone']['scroll']:5} px at {PHONE}")
    _crawl.update(pages=todo, facts=facts, problems=problems, menu=len(menu_pages))
    return _crawl


def test_every_page_fits_at_desktop_and_phone_width(page, mutuo_db, make_user):
    result = crawl(page, mutuo_db, make_user)
    assert result["menu"] > 10 and len(result["pages"]) > result["menu"], result["pages"]  # records were found
    wrong = []
    for path, seen in result["facts"].items():
        for width in ("wide", "phone"):
            f = seen[width]
            if f["scroll"] > f["inner"]:
                wrong.append(f"{path} at {width}: the page is {f['scroll']} px wide in {f['inner']} px")
            if f["offscreen"]:
                wrong.append(f"{path} at {width}: off screen: {f['offscreen']}")
            if f["spills"]:
                wrong.append(f"{path} at {width}: content wider than its card: {f['spills']}")
        for table in seen["wide"]["tables"]:
            if table["list"] and table["width"] > table["room"]:
                wrong.append(f"{path} at wide: a list {table['width']} px wide in {table['room']} px")
    assert not wrong, "\n".join(wrong)


def test_no_console_error_csp_violation_or_failed_request(page, mutuo_db, make_user):
    result = crawl(page, mutuo_db, make_user)
    problems = [f"{path}: {found[:5]}" for path, found in result["problems"].items()]
    assert not problems, "\n".join(problems)
