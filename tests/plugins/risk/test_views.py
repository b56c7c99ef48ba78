"""Risk's screens: every page renders, the authorization matrix, the decision and voting forms."""
from __future__ import annotations

import re
from datetime import date
from decimal import Decimal as D

import pytest
import webtest
from pyramid.security import NO_PERMISSION_REQUIRED
from sqlalchemy import select

from core.models.user import User
from core.testing import csrf_token, login
from plugins.lending import services as lending
from plugins.risk.models import AgendaItem, Review
from plugins.risk.services import blacklist, committee
from tests.core.test_security import route_views

TODAY = date(2025, 3, 10)


@pytest.fixture(autouse=True)
def _today(clock):
    clock.day = TODAY


@pytest.fixture
def book(session, world, make_user):
    """Review 1 pending, review 2 referred (meeting 1, item 1), entry 1 with hit 1, signal 1; committed."""
    make_user("mia", roles=("risk_committee_member",))
    make_user("max", roles=("risk_committee_member",))
    make_user("boss", roles=("risk_manager",))
    make_user("ann", roles=("risk_analyst",))
    world.submitted()                                                     # review 1: pending
    world.submitted(amount=D("40000.00"), term=24)                        # review 2: referred, meeting 1
    customer = world.customer()
    blacklist.add_entry(session, name="Listed Person", id_number=customer.id_number, reason="Fraud")  # hit 1
    loan = world.loan(disbursed_on=date(2025, 1, 15))
    lending.close_of_business(session, date(2025, 3, 1), start=date(2025, 2, 14))   # signal 1
    users = {u.username: u.id for u in session.scalars(select(User))}
    borrower_id = loan.customer_id
    ids = _ids(session)
    session.commit()
    session.close()
    return users, borrower_id, ids


def _ids(session) -> dict[str, int]:
    """The first record of each kind a risk route names (PostgreSQL's sequences do not restart per test)."""
    from plugins.risk.models import AgendaItem, BlacklistEntry, Hit, Meeting, Rule, Scorecard, Signal

    first = lambda model: session.scalar(select(model.id).order_by(model.id).limit(1))  # noqa: E731
    return {"review": first(Review), "meeting": first(Meeting), "item": first(AgendaItem),
            "entry": first(BlacklistEntry), "hit": first(Hit), "signal": first(Signal), "scorecard": first(Scorecard),
            "rule": first(Rule)}


def app_for(mutuo_db, username):
    app = webtest.TestApp(mutuo_db.app, extra_environ={"REMOTE_ADDR": "127.0.0.1", "HTTP_HOST": "localhost"})
    login(app, username)
    return app


def _risk_routes(mutuo_db):
    views, routes = route_views(mutuo_db.app.registry)
    return [(r, m, p) for r, m, p, *_params in views if r.startswith("risk.")], routes


def _url(route, ids) -> str:
    path = route.pattern if route.pattern.startswith("/") else "/" + route.pattern
    kind = route.name.split(".")[1].split("_")[0].rstrip("s")
    return re.sub(r"\{id[^}]*\}", str(ids.get(kind, 1)), path)


def test_every_page_renders_for_the_risk_manager(book, mutuo_db):
    app = app_for(mutuo_db, "boss")
    views, routes = _risk_routes(mutuo_db)
    for route_name, methods, _perm in views:
        if "GET" in methods:
            res = app.get(_url(routes[route_name], book[2]), expect_errors=True)
            assert res.status_int == 200, (route_name, res.status, res.text[-2000:])
    for page in ("reviews", "hits", "signals", "blacklist", "meetings"):
        assert app.get(f"/risk/{page}?format=csv").content_type == "text/csv"
    assert app.get("/risk/reports?csv=vintage_30").text.startswith("month,loans,mob_1")
    assert "Risk level" in app.get(f"/lending/customers/{book[1]}").text   # the customer panel


def test_every_risk_view_declares_a_risk_permission(mutuo_db):
    views, _routes = _risk_routes(mutuo_db)
    assert len(views) >= 25
    for route, _methods, permission in views:
        assert permission and permission != NO_PERMISSION_REQUIRED, route
        assert permission.startswith("risk."), (route, permission)


def test_authorization_matrix(book, mutuo_db, make_user):
    """Anonymous → login; lacking the permission → 403; holding it → neither 403 nor 500."""
    views, routes = _risk_routes(mutuo_db)
    perms = sorted({p for _r, _m, p in views})
    holders = {p: make_user(permissions=("core.dashboard.view", p)) for p in perms}
    lacking = make_user(permissions=("core.dashboard.view",))
    anon = webtest.TestApp(mutuo_db.app)
    ids = book[2]
    for route_name, methods, _perm in views:
        url = _url(routes[route_name], ids)
        for method in methods:
            res = (anon.get if method == "GET" else anon.post)(url, expect_errors=True)
            assert res.status_int in (302, 401), url
    for who, perm_held in ((lacking, None), *((holders[p], p) for p in perms)):
        app = webtest.TestApp(mutuo_db.app)
        login(app, *who)
        token = csrf_token(app)
        for route_name, methods, perm in views:
            url = _url(routes[route_name], ids)
            for method in methods:
                res = app.get(url, expect_errors=True) if method == "GET" else \
                    app.post(url, {"csrf_token": token}, expect_errors=True)
                if perm == perm_held:
                    assert res.status_int != 403 and res.status_int < 500, (perm, method, url, res.status)
                else:
                    assert res.status_int == 403, (perm_held, perm, method, url, res.status)


def test_the_analyst_decides_through_the_form_with_field_errors(book, mutuo_db):
    app = app_for(mutuo_db, "ann")
    review_id = book[2]["review"]
    form = app.get(f"/risk/reviews/{review_id}/decide").forms["deform"]
    form["recommendation"] = "decline"
    form["level"] = "high"
    refused = form.submit("decide", expect_errors=True)
    assert refused.status_int == 400 and "the borrower will be told" in refused.text
    form = refused.forms["deform"]
    form["reason"] = "Income not proven"
    page = form.submit("decide").follow()
    assert "declined" in page.text
    session = mutuo_db.session_factory()
    assert session.get(Review, review_id).status == "declined"
    session.close()


def test_members_vote_as_themselves_and_the_manager_closes(book, mutuo_db):
    users, _borrower, ids = book
    boss = app_for(mutuo_db, "boss")
    token = csrf_token(boss)
    for name in ("mia", "max"):
        boss.post(f"/risk/meetings/{ids['meeting']}/attendance", {"csrf_token": token, "user_id": users[name],
                                                                  "present": "1"})
    for name in ("mia", "max"):
        member = app_for(mutuo_db, name)
        page = member.get(f"/risk/meetings/{ids['meeting']}")
        form = next(f for f in page.forms.values() if f.action.endswith(f"/risk/items/{ids['item']}/vote"))
        res = form.submit("vote", value="approve").follow()
        assert "Vote recorded" in res.text
    boss.post(f"/risk/meetings/{ids['meeting']}/close", {"csrf_token": token}).follow()
    session = mutuo_db.session_factory()
    review = session.get(AgendaItem, ids["item"]).review
    assert review.status == "approved" and review.application.status == "approved"
    item = session.get(AgendaItem, ids["item"])
    assert (item.decision, committee.item_tally(item).approvals) == ("approved", 2)
    session.close()
