"""Fuzz every route of every installed plugin with junk input (issue 11, item 8).

The app runs with every installed plugin and its demo data; an admin crawls it
from the start page to find real URLs (record pages included) and the forms on
them. Then, for every route:

* GET with junk query parameters (the page's own filter names plus the usual
  ``page``, ``per_page``, ``sort``, ``next``, ids...), and with junk in its URL
  placeholders (``{id}`` = 10^20, ``²``, NUL...);
* POST each form found for it, every field either its normal value or junk
  (huge numbers, exponents, NaN, control characters, unicode digits, long
  text, odd dates), with a valid CSRF token so the junk reaches the view;
* JSON endpoints get junk query parameters and junk JSON bodies.

Asserted: no answer is a 5xx, and when the answer is an error (4xx) no row of
the business tables changed (row count and highest id per table; the audit
log, which records refusals and denials, is left out).

Examples per route: ``MUTUO_FUZZ_EXAMPLES`` (default 3; raise it for a long
run, e.g. ``MUTUO_FUZZ_EXAMPLES=200``). Hypothesis picks the examples at
random; a failure prints the request that caused it.
"""
from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyramid.interfaces import IRoutesMapper
from sqlalchemy import MetaData, func, select

from core.plugins import available_plugins
from core.testing import login

ALL_PLUGINS = tuple(available_plugins())
EXAMPLES = int(os.environ.get("MUTUO_FUZZ_EXAMPLES", "3"))
MAX_PAGES = int(os.environ.get("MUTUO_FUZZ_PAGES", "400"))
#: Tables a refused request may still write: the audit log records refusals and denials.
MAY_CHANGE = {"core_audit_entry", "alembic_version"}
#: Never posted to: logging out ends the crawl's session.
SKIP_POST = {"logout"}

NASTY = [
    "", " ", "0", "-1", "1e30", "1e20", "-1e30", "1E+400", "NaN", "nan", "Infinity", "-inf", "sNaN",
    "1,50", "1,0,0", "1.005", "0.001", "12.5%", "١٢", "٣٫٥", "²", "10²⁰", "½", "𝟙𝟚", str(10**20), str(2**31),
    str(2**63), str(-2**63 - 1), "9" * 40, "9999-12-31", "0001-01-01", "10000-01-01", "2026-02-30", "2026-13-01",
    "1899-12-31", "2200-01-01", "2026-3-1", "9999-12", "0000-00", "\x00", "a\x00b", "\x1b[31m", "\u202e", "\ufeff",
    "\r\nSet-Cookie: x=1", "/\r\nLocation: http://evil.example", "//evil.example", "/\\evil", "http://evil.example",
    "x" * 300, "y" * 5000, "<script>alert(1)</script>", "'; DROP TABLE core_user; --", "%", "_", "*",
    "true", "null", "[]", "{}", "-", "--", "+", ".", ",", "1.2.3", "0x10", "1_000", " 12 ", "\t", "\n",
]
JUNK = st.one_of(
    st.sampled_from(NASTY),
    st.sampled_from(NASTY),
    st.text(max_size=30),
    st.integers(min_value=-(2**80), max_value=2**80).map(str),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.dates().map(lambda d: d.isoformat()),
    st.text(alphabet="0123456789,.-eE ", max_size=25),
)
JSON_JUNK = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70), st.floats(),
              st.sampled_from(NASTY), st.text(max_size=20)),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=10), inner, max_size=3)),
    max_leaves=8,
)
#: Every placeholder ({id}...) is also tried with each of these.
BAD_IDS = (str(10**20), str(2**63), "²", "١٢", "\x00", "-1", "0")
COMMON_PARAMS = ("page", "per_page", "sort", "format", "next", "id", "q", "copy", "permission", "customer_id",
                 "loan_id", "start", "end", "status", "amount", "deleted", "reference")
HYPOTHESIS = dict(max_examples=EXAMPLES, deadline=None, derandomize=False, database=None,
                  suppress_health_check=list(HealthCheck))


@dataclass
class Form:
    page: str  # the URL it was found on
    action: str
    method: str
    fields: dict  # name -> default value
    buttons: list = field(default_factory=list)


@dataclass
class Site:
    """What the crawl found: a URL per route, the forms posting to each route, the query names."""
    urls: dict = field(default_factory=dict)  # route name -> [url]
    forms: dict = field(default_factory=dict)  # route name -> [Form]
    params: dict = field(default_factory=dict)  # route name -> {GET form field names}


@pytest.fixture
def mutuo_plugins():
    return ALL_PLUGINS


def _load_demo(mutuo_db):
    """Each enabled plugin's demo data, as `mutuo demo load` does."""
    from core.demo import load_demo

    class Env:
        settings, pm, registry = mutuo_db.settings, mutuo_db.pm, mutuo_db.registry

        def transaction(self, _name, fn):
            def run(session):
                try:
                    from plugins.lending.services import bind
                except ImportError:  # lending not installed: its context is not needed
                    pass
                else:
                    bind(session, settings=mutuo_db.settings)
                return fn(session)
            return mutuo_db.transaction(run, actor="cli:demo load")

    load_demo(Env(), 1, echo=lambda *_: None)


_TABLES: dict = {}


def fingerprint(engine) -> dict:
    """Per business table: (row count, highest id)."""
    if engine not in _TABLES:
        meta = MetaData()
        meta.reflect(engine)
        _TABLES[engine] = meta
    meta = _TABLES[engine]
    out = {}
    with engine.connect() as conn:
        for table in meta.sorted_tables:
            if table.name in MAY_CHANGE:
                continue
            pk = list(table.primary_key.columns)
            top = func.max(pk[0]) if len(pk) == 1 and pk[0].type.python_type is int else func.count()
            out[table.name] = tuple(conn.execute(select(func.count(), top).select_from(table)).one())
    return out


def _route_of(routes, path: str):
    for route in routes:
        if route.match(path) is not None:
            return route.name
    return None


def crawl(app, routes) -> Site:
    """Breadth-first from the start page and every placeholder-free route, same site, GET only."""
    site = Site()
    queue = ["/"] + [("/" + r.pattern.lstrip("/")) for r in routes if "{" not in r.pattern and "*" not in r.pattern]
    seen: set[str] = set()
    while queue and len(seen) < MAX_PAGES:
        url = queue.pop(0)
        path = urlsplit(url).path
        name = _route_of(routes, path)
        if url in seen or name is None or name.startswith("__") or len(site.urls.get(name, [])) >= 2:
            continue
        seen.add(url)
        res = app.get(url, expect_errors=True)
        assert res.status_int < 500, f"crawl: GET {url} -> {res.status}"
        site.urls.setdefault(name, []).append(url)
        if "html" not in res.content_type:
            continue
        for link in res.html.find_all("a", href=True):
            href = link["href"]
            parts = urlsplit(href)
            if parts.netloc and parts.netloc not in ("localhost", "localhost:80"):
                continue
            if parts.path.startswith("/") and "format=csv" not in href:
                queue.append(parts.path + ("?" + parts.query if parts.query else ""))
        for tag in res.html.find_all("form"):
            action = tag.get("action") or url
            method = (tag.get("method") or "get").upper()
            target = _route_of(routes, urlsplit(action).path or path)
            fields = {}
            for inp in tag.find_all(["input", "select", "textarea"]):
                if inp.get("name") and inp.get("type") not in ("submit", "file"):
                    if inp.name == "select":
                        opt = inp.find("option", selected=True) or inp.find("option")
                        fields[inp["name"]] = opt.get("value", "") if opt else ""
                    elif inp.get("type") in ("checkbox", "radio") and not inp.has_attr("checked"):
                        fields.setdefault(inp["name"], "")
                    else:
                        fields[inp["name"]] = inp.get("value") or inp.text or ""
            buttons = [b["name"] for b in tag.find_all("button") if b.get("name")]
            if method == "GET":
                site.params.setdefault(target, set()).update(fields)
            elif target is not None:
                site.forms.setdefault(target, [])
                if len(site.forms[target]) < 2:
                    site.forms[target].append(Form(url, urlsplit(action).path or path, method, fields, buttons))
    return site


def _junk_path(route, value: str) -> str:
    from urllib.parse import quote

    pattern = "/" + route.pattern.lstrip("/")
    return re.sub(r"\{(\w+)(?::[^}]+)?\}", lambda _m: quote(value, safe=""), pattern)


def _csrf(app) -> str:
    res = app.get("/account")
    return res.html.find("input", {"name": "csrf_token"})["value"]


def _check(res, before, engine, what):
    assert res.status_int < 500, f"{what} -> {res.status}\n{res.text[:2000]}"
    if res.status_int >= 400:
        after = fingerprint(engine)
        changed = {t: (before[t], after.get(t)) for t in before if before[t] != after.get(t)}
        assert not changed, f"{what} -> {res.status} but rows changed: {changed}"


@pytest.mark.parametrize("mutuo_plugins", [ALL_PLUGINS], ids=["all-plugins"])
def test_no_input_gives_a_server_error_or_a_half_write(mutuo_db, testapp, make_user):
    _load_demo(mutuo_db)
    app = testapp
    app.extra_environ["HTTP_HOST"] = "localhost"
    username, password = make_user(roles=("admin",))
    login(app, username, password)
    mapper = mutuo_db.app.registry.getUtility(IRoutesMapper)
    routes = [r for r in mapper.get_routes() if not r.name.startswith("__")]
    site = crawl(app, routes)
    token = _csrf(app)
    engine = mutuo_db.engine
    from tests.core.test_security import route_views

    views, _ = route_views(mutuo_db.app.registry)
    methods: dict[str, set] = {}
    for route_name, verbs, _perm, _mp in views:
        methods.setdefault(route_name, set()).update(verbs)
    assert len(methods) >= 40, "every plugin's routes are fuzzed"
    stats = {"routes": 0, "forms": 0}

    failures: list[str] = []

    def post_form(form):
        fields = {k: v for k, v in form.fields.items() if k not in ("csrf_token", "_charset_", "__formid__")}

        @settings(**HYPOTHESIS)
        @given(junk=st.dictionaries(st.sampled_from(sorted(fields) or ["x"]), JUNK, min_size=1, max_size=2),
               extra=st.dictionaries(st.sampled_from(COMMON_PARAMS), JUNK, max_size=1))
        def fuzz_post(junk, extra):
            # One or two fields junk, the others as the form filled them: the junk reaches the services.
            body = {**extra, **fields, **junk, "csrf_token": token}
            for name in ("_charset_", "__formid__"):
                if name in form.fields:
                    body[name] = form.fields[name]
            for button in form.buttons[:1]:
                body[button] = button
            before = fingerprint(engine)
            res = app.post(form.action, body, expect_errors=True)
            _check(res, before, engine, f"POST {form.action} {body!r}")

        return fuzz_post

    def attempt(fuzz, what):
        try:
            fuzz()
        except Exception as exc:  # go on with the other routes: one report lists every finding
            failures.append(f"{what}: {type(exc).__name__}: {str(exc)[:800]}")

    for route in routes:
        verbs = methods.get(route.name, set())
        url = (site.urls.get(route.name) or [None])[0]
        if url is None:
            url = _junk_path(route, "1")
        base = urlsplit(url).path
        names = sorted(set(COMMON_PARAMS) | site.params.get(route.name, set()))
        is_api = "/api/" in base
        stats["routes"] += 1

        if "GET" in verbs:
            @settings(**HYPOTHESIS)
            @given(params=st.dictionaries(st.sampled_from(names), JUNK, max_size=5),
                   placeholder=st.one_of(st.none(), JUNK))
            def fuzz_get(params, placeholder):
                path = base if placeholder is None or "{" not in route.pattern else _junk_path(route, placeholder)
                target = path + "?" + urlencode(params)
                headers = {"Accept": "application/json"} if is_api else {}
                res = app.get(target, headers=headers, expect_errors=True)
                assert res.status_int < 500, f"GET {target!r} -> {res.status}\n{res.text[:2000]}"

            attempt(fuzz_get, f"GET {route.name}")
            for value in BAD_IDS if "{" in route.pattern else ():
                target = _junk_path(route, value)

                def get_bad_id(target=target):
                    res = app.get(target, expect_errors=True)
                    assert res.status_int < 500, f"GET {target!r} -> {res.status}"

                attempt(get_bad_id, f"GET {route.name} bad id")

        if "POST" in verbs and route.name not in SKIP_POST:
            forms = site.forms.get(route.name) or [Form(url, base, "POST", {"csrf_token": token}, [])]
            for form in forms:
                stats["forms"] += 1
                attempt(post_form(form), f"POST {route.name}")

            if is_api:
                @settings(**HYPOTHESIS)
                @given(payload=JSON_JUNK)
                def fuzz_json(payload):
                    before = fingerprint(engine)
                    res = app.post(base, json.dumps(payload), expect_errors=True,
                                   headers={"Content-Type": "application/json", "Accept": "application/json",
                                            "X-CSRF-Token": token})
                    _check(res, before, engine, f"POST {base} {payload!r}")
                    if res.status_int >= 400:
                        # the older JSON endpoints answer {"error"}; /api/v1 answers RFC 9457 problems ({"title"})
                        assert res.json.get("error") or res.json.get("title"), "API errors answer JSON with a message"

                attempt(fuzz_json, f"JSON {route.name}")

    assert not failures, "\n\n".join(failures)
    assert stats["forms"] >= 20, stats
    print(f"fuzzed {stats['routes']} routes, {stats['forms']} forms, {EXAMPLES} examples each")
