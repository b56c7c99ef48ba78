"""Collections' screens through the authorization matrix, record rules (list, page, CSV) and the forms."""
import uuid
from datetime import date
from decimal import Decimal as D

import pytest
import webtest
from pyramid.security import NO_PERMISSION_REQUIRED
from sqlalchemy import select

from core.models.user import User
from core.testing import csrf_token, login
from plugins.collections.models import Case, Contact, Promise, StrategyAction, Target
from plugins.collections.services import assign_cases, set_queues
from plugins.lending import services as lending
from tests.core.test_security import route_views
from tests.plugins.collections.conftest import DISBURSED, close

TODAY = date(2025, 3, 10)


@pytest.fixture(autouse=True)
def _today(clock):
    clock.day = TODAY


@pytest.fixture
def book(session, world, make_user, mutuo_db):
    """Two collectors with two cases each (by region), a supervisor; all committed for the web app."""
    make_user("ana", roles=("collector",), region="North")
    make_user("ben", roles=("collector",), region="South")
    make_user("sue", roles=("collections_supervisor",))
    users = {u.username: u for u in session.scalars(select(User))}
    set_queues(session, users["ana"], ("early", "mid"))
    set_queues(session, users["ben"], ("early", "mid"))
    loans = {}
    for region, names in (("North", ("Nora North", "Ned North")), ("South", ("Sam South", "Sia South"))):
        for name in names:
            borrower = lending.update_customer(session, world.customer(region=region, phone="+34 611 222 333"),
                                               name=name)
            loans[name] = world.loan(disbursed_on=DISBURSED, borrower=borrower, amount=D("6000.00"))
    close(session, date(2025, 3, 1), start=date(2025, 3, 1))
    assign_cases(session)
    cases = {name: session.scalars(select(Case.id).where(Case.loan_id == loan.id)).one() for name, loan in loans.items()}
    users = {name: user.id for name, user in users.items()}
    session.commit()
    session.close()  # SQLite: a test session left in a transaction would lock the app out
    return users, cases


def app_for(mutuo_db, username):
    app = webtest.TestApp(mutuo_db.app, extra_environ={"REMOTE_ADDR": "127.0.0.1", "HTTP_HOST": "localhost"})
    login(app, username)
    return app


def test_collectors_see_only_their_cases_in_lists_pages_and_exports(book, mutuo_db):
    users, cases = book
    ana = app_for(mutuo_db, "ana")
    listing = ana.get("/collections/cases")
    assert "Nora North" in listing.text and "Ned North" in listing.text and "Sam South" not in listing.text
    export = ana.get("/collections/cases?format=csv")
    assert "Nora North" in export.text and "Sia South" not in export.text
    queue = ana.get("/collections/queue")
    assert queue.html.find(id="count-cases").text == "2" and "Sam South" not in queue.text
    assert "Sia South" not in ana.get("/collections/queue?format=csv").text
    ana.get(f"/collections/cases/{cases['Nora North']}", status=200)
    ana.get(f"/collections/cases/{cases['Sam South']}", status=404)
    ana.get(f"/collections/cases/{cases['Sam South']}/contact", status=404)
    sue = app_for(mutuo_db, "sue")
    everyone = sue.get("/collections/cases")
    assert all(name in everyone.text for name in cases)
    sue.get(f"/collections/cases/{cases['Sam South']}", status=200)
    assert "No open cases assigned to you" in sue.get("/collections/queue").text  # the queue is always one's own


def test_log_a_call_with_a_promise_from_the_queue(book, mutuo_db, session):
    users, cases = book
    case_id = cases["Nora North"]
    ana = app_for(mutuo_db, "ana")
    form = ana.get(f"/collections/cases/{case_id}/contact?next=/collections/queue").forms["deform"]
    form["channel"] = "call"
    form["outcome"] = "promise_to_pay"
    form["promise_amount"] = "250.00"
    form["note"] = "Pays on Friday"
    bad = form.submit("log", status=400)  # no date: the error sits on the field
    assert "Enter the date they promised to pay by." in bad.html.find(class_="item-promise_due").text
    form = bad.forms["deform"]
    form["promise_due"] = "2025-03-14"
    done = form.submit("log", status=302)
    assert done.location.endswith("/collections/queue")
    contact = session.scalars(select(Contact).where(Contact.case_id == case_id)).one()
    assert (contact.outcome, contact.collector_id) == ("promise_to_pay", users["ana"])
    promise = session.scalars(select(Promise).where(Promise.case_id == case_id)).one()
    assert (promise.amount, promise.due_on) == (D("250.00"), date(2025, 3, 14))
    assert session.get(Case, case_id).status == "promised"
    session.rollback()
    page = ana.get(f"/collections/cases/{case_id}")
    assert "Pays on Friday" in page.text and "promise to pay" in page.text


def test_contacts_logged_through_the_form_are_audited(book, mutuo_db, session):
    """Every result is recorded truthfully: the contact's insert is in the audit log and the case history."""
    from core.models.audit import AuditEntry

    _users, cases = book
    ana = app_for(mutuo_db, "ana")
    form = ana.get(f"/collections/cases/{cases['Ned North']}/contact").forms["deform"]
    form["outcome"] = "right_party_contact"
    note = f"Knows, pays next week ({uuid.uuid4().hex})"  # the audit log keeps every test's rows
    form["note"] = note
    form.submit("log", status=302)
    entries = session.scalars(select(AuditEntry).where(AuditEntry.entity_type == "collections.contact",
                                                       AuditEntry.action == "insert",
                                                       AuditEntry.changes.contains(note))).all()
    assert len(entries) == 1
    session.rollback()


def test_one_click_no_answer_from_the_queue(book, mutuo_db, session):
    users, cases = book
    ana = app_for(mutuo_db, "ana")
    queue = ana.get("/collections/queue")
    quick = next(f for f in queue.forms.values() if f.action.endswith(f"/cases/{cases['Ned North']}/contact"))
    assert quick.submit("log", status=302).location.endswith("/collections/queue")
    assert session.scalars(select(Contact.outcome).where(Contact.case_id == cases["Ned North"])).all() == [
        "no_answer"]


def test_supervisor_reassigns_and_it_shows_in_the_history(book, mutuo_db, session):
    users, cases = book
    sue = app_for(mutuo_db, "sue")
    case_id = cases["Nora North"]
    page = sue.get(f"/collections/cases/{case_id}")
    form = page.forms[[k for k, f in page.forms.items() if f.action.endswith("/assign")][0]]
    form["collector_id"] = str(users["ben"])
    shown = form.submit().follow()
    assert "assigned to ben" in shown.text
    assert "manual" in shown.html.find(id="assignments").text
    history = shown.html.find(id="history").text
    assert "case assigned" in history  # the job's assignment, from the assignment history
    assert "Collector" in history and "ben" in history  # the reassignment by hand: an audited change of the case
    refused = sue.post(f"/collections/cases/{case_id}/assign", {"csrf_token": csrf_token(sue), "collector_id": "x"})
    assert "Choose the collector" in refused.follow().text
    assert app_for(mutuo_db, "ana").get(f"/collections/cases/{case_id}", expect_errors=True).status_int == 404


def test_strategy_screen_edits_and_shows_field_errors(book, mutuo_db, session):
    sue = app_for(mutuo_db, "sue")
    assert "Friendly reminder" in sue.get("/collections/strategies").text  # defaults seeded on the first visit
    form = sue.get("/collections/strategies/new").forms["deform"]
    form["stage"] = "late"
    form["day_offset"] = "zero"
    form["channel"] = "letter"
    bad = form.submit("add", status=400)
    assert "whole number" in bad.text
    form = bad.forms["deform"]
    form["day_offset"] = "120"
    form["title"] = "Final notice"
    form.submit("add", status=302)
    action = session.scalars(select(StrategyAction).where(StrategyAction.title == "Final notice")).one()
    assert (action.stage, action.day_offset, action.channel) == ("late", 120, "letter")
    session.rollback()
    ana = app_for(mutuo_db, "ana")
    page = ana.get(f"/collections/strategies/{action.id}")
    assert "Final notice" in page.text and not page.forms.get("deform")


def test_targets_and_ranking_screens(book, mutuo_db, session):
    users, _cases = book
    sue = app_for(mutuo_db, "sue")
    form = sue.get("/collections/targets").forms["deform"]
    form["month"] = "2025-03"
    form["amount"] = "1,000.00"
    page = form.submit("set").follow()
    target = session.scalars(select(Target)).one()
    session.rollback()
    page = page.forms["form-shares"]
    page[f"share_{users['ana']}"] = "700"
    page[f"share_{users['ben']}"] = "400"
    refused = page.submit().follow()
    assert "more than the team target" in refused.text
    split = refused.forms[[k for k, f in refused.forms.items() if "action" in f.fields
                           and f["action"].value == "split"][0]].submit().follow()
    assert "500.00" in split.html.find(id="achievement").text
    assert "Ranking 2025-03" in app_for(mutuo_db, "ana").get("/collections/ranking?month=2025-03").text
    assert target.month == date(2025, 3, 1)


@pytest.mark.parametrize("name", ["recovery", "roll-rates", "contacts", "promises", "collectors", "region",
                                  "product", "industry"])
def test_reports_render_with_a_chart_and_export_csv(book, mutuo_db, name):
    sue = app_for(mutuo_db, "sue")
    page = sue.get(f"/collections/reports/{name}?month=2025-03")
    assert page.html.find(id="report-table") is not None
    csv = sue.get(f"/collections/reports/{name}?month=2025-03&format=csv")
    assert csv.content_type == "text/csv" and csv.text.count("\n") >= 1
    sue.get("/collections/reports/nonsense", status=404)


def test_breakdown_by_region_counts_open_cases(book, mutuo_db):
    text = app_for(mutuo_db, "sue").get("/collections/reports/region?month=2025-03&format=csv").text
    rows = {line.split(",")[0]: line.split(",") for line in text.strip().splitlines()[1:]}
    assert rows["North"][1] == "2" and rows["South"][1] == "2"


def test_dashboard_widgets(book, mutuo_db, session, world):
    home = app_for(mutuo_db, "ana").get("/")
    assert "My collection queue today" in home.text and "Overdue amount by stage" in home.text
    recovered = _card(home, "Recovered by stage per month").select_one(".chart svg")
    assert recovered.select_one("text").text == "No data yet"
    _users, cases = book
    case = session.get(Case, cases["Nora North"])
    with world.clock.at(TODAY):
        lending.post_repayment(session, case.loan, D("120.00"), TODAY, "DASH-1")
    session.commit()
    session.close()
    recovered = _card(app_for(mutuo_db, "ana").get("/"), "Recovered by stage per month").select_one(".chart svg")
    assert recovered["aria-label"] == "Money recovered each month, by the case's stage"
    assert "Mar 25" in recovered.text and any(t.text.endswith("Mar 25: 120.00") for t in recovered.select("title"))
    report = app_for(mutuo_db, "sue").get("/collections/reports/recovery?month=2025-03")  # supervisors read reports
    assert any(t.text.endswith("Mar 25: 120.00") for t in report.html.select("#recovery-history svg title"))
    # Ben's cases are not his to see: his chart stays empty (the record rule, in the chart's query too).
    assert "No data yet" in _card(app_for(mutuo_db, "ben").get("/"), "Recovered by stage per month").text


def _card(page, title):
    return {w.select_one(".card-title").text: w for w in page.html.select(".widget")}[title]


def _collections_routes(mutuo_db):
    views, routes = route_views(mutuo_db.app.registry)
    return [(r, m, p) for r, m, p, *_params in views if r.startswith("collections.")], routes


def _url(route, case_id) -> str:
    import re

    path = route.pattern if route.pattern.startswith("/") else "/" + route.pattern
    return re.sub(r"\{name\}", "recovery", re.sub(r"\{id[^}]*\}", str(case_id), path))


def test_every_collections_view_declares_a_declared_permission(mutuo_db):
    views, _routes = _collections_routes(mutuo_db)
    assert len(views) >= 25
    for route, _methods, permission in views:
        assert permission and permission != NO_PERMISSION_REQUIRED, route
        assert permission.startswith("collections."), (route, permission)
        assert permission in mutuo_db.registry["mutuo.security"].permissions


def test_authorization_matrix(book, mutuo_db, make_user):
    """Anonymous → login; lacking the permission → 403 naming it; holding it → neither 403 nor 500."""
    _users, cases = book
    case_id = cases["Nora North"]
    views, routes = _collections_routes(mutuo_db)
    perms = sorted({p for _r, _m, p in views})
    # Holders see every case (view_all), so a case-bound URL exists for them whatever its collector.
    holders = {p: make_user(permissions=("core.dashboard.view", "collections.case.view_all", p)) for p in perms}
    lacking = make_user(permissions=("core.dashboard.view",))
    anon = webtest.TestApp(mutuo_db.app)
    for route_name, methods, _perm in views:
        url = _url(routes[route_name], case_id)
        for method in methods:
            res = (anon.get if method == "GET" else anon.post)(url, expect_errors=True)
            assert res.status_int in (302, 401) and (res.status_int == 401 or "/login" in res.location), url
    for who, perm_held in ((lacking, None), *((holders[p], p) for p in perms)):
        app = webtest.TestApp(mutuo_db.app)
        login(app, *who)
        token = csrf_token(app)
        for route_name, methods, perm in views:
            url = _url(routes[route_name], case_id)
            for method in methods:
                res = app.get(url, expect_errors=True) if method == "GET" else \
                    app.post(url, {"csrf_token": token}, expect_errors=True)
                if perm == perm_held:
                    assert res.status_int != 403 and res.status_int < 500, (who[0], perm, method, url, res.status)
                else:
                    assert res.status_int == 403, (who[0], perm_held, perm, method, url, res.status)
