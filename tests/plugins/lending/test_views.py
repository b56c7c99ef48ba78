"""Screens and API through the permissions: the matrix, the workflow by web forms, history, CSV, widgets."""
from datetime import date
from decimal import Decimal as D

import pytest
import webtest

from core import context
from core.testing import csrf_token, login
from plugins.lending import services
from plugins.lending.models import Customer

from .conftest import SETTINGS, World

TODAY = date(2025, 6, 1)


@pytest.fixture(autouse=True)
def _today(today_is):
    today_is(TODAY)


@pytest.fixture
def build(mutuo_db, clock):
    """build(fn(world, session)) -> its result, committed (the web app sees it)."""
    def run(fn):
        def body(session):
            context.bind(session, pm=mutuo_db.pm, settings={**SETTINGS, **mutuo_db.settings})
            return fn(World(session, mutuo_db.documents, clock), session)
        return mutuo_db.transaction(body)
    return run


@pytest.fixture
def data(build):
    def make(world, session):
        loan = world.loan(disbursed_on=date(2025, 1, 15))
        repayment = services.post_repayment(session, loan, D("500.00"), date(2025, 2, 15), "WEB-1")
        listed = world.listed(listed_on=TODAY)
        draft = world.application()
        submitted = world.application()
        services.submit(session, submitted)
        investor = loan.holdings[0].investor
        return {"loan": loan.id, "repayment": repayment.id, "customer": loan.customer_id, "investor": investor.id,
                "listed": listed.id, "draft": draft.id, "submitted": submitted.id}
    return build(make)


PAGES = [
    ("/lending/customers", "lending.customer.view"),
    ("/lending/customers?format=csv", "lending.customer.view"),
    ("/lending/customers/new", "lending.customer.manage"),
    ("/lending/customers/{customer}", "lending.customer.view"),
    ("/lending/customers/{investor}", "lending.customer.view"),
    ("/lending/customers/{customer}/edit", "lending.customer.manage"),
    ("/lending/customers/{investor}/cash/deposit", "lending.cash.manage"),
    ("/lending/customers/{investor}/cash/withdrawal", "lending.cash.manage"),
    ("/lending/customers/{investor}/statement", "lending.cash.view"),
    ("/lending/applications", "lending.application.view"),
    ("/lending/applications?format=csv&status=listed", "lending.application.view"),
    ("/lending/applications/new", "lending.application.manage"),
    ("/lending/applications/{listed}", "lending.application.view"),
    ("/lending/applications/{draft}/edit", "lending.application.manage"),
    ("/lending/applications/{listed}/invest", "lending.investment.manage"),
    ("/lending/funding", "lending.investment.view"),
    ("/lending/loans", "lending.loan.view"),
    ("/lending/loans?format=csv", "lending.loan.view"),
    ("/lending/loans/{loan}", "lending.loan.view"),
    ("/lending/loans/{loan}/repay", "lending.repayment.post"),
    ("/lending/repayments", "lending.repayment.view"),
    ("/lending/repayments/new", "lending.repayment.post"),
    ("/lending/repayments/{repayment}", "lending.repayment.view"),
    ("/api/v1/lending/loans", "lending.loan.view"),
    ("/api/v1/lending/loans/{loan}", "lending.loan.view"),
    ("/api/v1/lending/loans/{loan}/repayments", "lending.repayment.view"),
    ("/api/v1/lending/repayments", "lending.repayment.view"),
    ("/api/v1/lending/repayments/{repayment}", "lending.repayment.view"),
]
POSTS = [
    ("/lending/customers/{customer}/kyc", "lending.customer.manage"),
    ("/lending/applications/{draft}/submit", "lending.application.manage"),
    ("/lending/applications/{submitted}/approve", "lending.application.approve"),
    ("/lending/applications/{submitted}/reject", "lending.application.approve"),
    ("/lending/applications/{draft}/list", "lending.application.manage"),
    ("/lending/applications/{draft}/cancel", "lending.application.manage"),
    ("/lending/applications/{listed}/disburse", "lending.loan.disburse"),
    ("/lending/loans/{loan}/write-off", "lending.loan.manage"),
]


def test_every_lending_view_declares_a_known_permission(mutuo_db):
    from pyramid.security import NO_PERMISSION_REQUIRED

    mine = []
    for intr in mutuo_db.app.registry.introspector.get_category("views"):
        route = intr["introspectable"]["route_name"] or ""
        if route.startswith("lending."):
            perms = [r["value"] for r in intr["related"] if r.category_name == "permissions"]
            mine.append((route, perms[0] if perms else None))
    assert len(mine) >= 30
    known = mutuo_db.registry["mutuo.security"].permissions
    for route, permission in mine:
        assert permission not in (None, NO_PERMISSION_REQUIRED), f"{route} declares no permission"
        assert permission in known, f"{route}: undeclared permission {permission}"


def test_pages_through_the_permissions(mutuo_db, data, make_user):
    perms = sorted({p for _u, p in PAGES + POSTS})
    lacking = webtest.TestApp(mutuo_db.app)
    login(lacking, *make_user(permissions=("core.dashboard.view",)))
    for url, _perm in PAGES:
        res = lacking.get(url.format(**data), expect_errors=True)
        assert res.status_int == 403, (url, res.status)
    token = csrf_token(lacking)
    for url, _perm in POSTS:
        res = lacking.post(url.format(**data), {"csrf_token": token}, expect_errors=True)
        assert res.status_int == 403, (url, res.status)
    for perm in perms:
        app = webtest.TestApp(mutuo_db.app)
        login(app, *make_user(permissions=("core.dashboard.view", perm)))
        for url, needed in PAGES:
            res = app.get(url.format(**data), expect_errors=True)
            if needed == perm:
                assert res.status_int == 200, (perm, url, res.status)
            else:
                assert res.status_int == 403, (perm, url, res.status)
    anonymous = webtest.TestApp(mutuo_db.app)
    assert anonymous.get("/lending/loans", status=302).location.endswith("/login?next=%2Flending%2Floans")
    res = anonymous.get("/api/v1/lending/loans", status=401)
    assert res.content_type == "application/problem+json" and res.json["type"] == "urn:mutuo:problem:unauthenticated"


def manager(make_user, testapp):
    login(testapp, *make_user(roles=("operations_manager",)))
    return testapp


def test_the_workflow_by_web_forms(mutuo_db, build, make_user, testapp, clock):
    version_id = build(lambda world, s: world.product().id)
    app = manager(make_user, testapp)
    # A borrower through the form; field errors come back on the field.
    form = app.get("/lending/customers/new").forms["deform"]
    form["name"], form["role"], form["id_number"] = "Ana Ruiz", "borrower", "AR-1"
    page = form.submit("create").follow()
    assert "Ana Ruiz" in page.text and "KYC pending" in page.text
    borrower_id = int(page.request.path.rsplit("/", 1)[1])
    form = app.get("/lending/customers/new").forms["deform"]
    form["name"], form["role"], form["id_number"] = "Other", "investor", "ar -1"
    res = form.submit("create", status=400)
    assert "already has ID number AR-1" in res.text
    # KYC cannot be verified without documents: the refusal is flashed, nothing changes.
    token = csrf_token(app)
    res = app.post(f"/lending/customers/{borrower_id}/kyc", {"csrf_token": token, "kyc_status": "verified"}).follow()
    assert "Upload Ana Ruiz&#39;s identity documents" in res.text or "Upload Ana Ruiz's identity documents" in res.text
    build(lambda world, s: world.document(s.get(Customer, borrower_id)))
    res = app.post(f"/lending/customers/{borrower_id}/kyc", {"csrf_token": token, "kyc_status": "verified"}).follow()
    assert "KYC verified" in res.text
    # The application: a term outside the product is a field error.
    form = app.get(f"/lending/applications/new?customer_id={borrower_id}").forms["deform"]
    form["product_version_id"], form["amount"], form["term_months"] = str(version_id), "6,000.00", "99"
    res = form.submit("create", status=400)
    assert "The term must be between 3 and 36 months" in res.text
    form = res.forms["deform"]
    form["term_months"] = "12"
    page = form.submit("create").follow()
    application_id = int(page.request.path.rsplit("/", 1)[1])
    assert "draft" in page.text
    clock.day = date(2025, 4, 28)  # listed and funded before the disbursement date below
    for action in ("submit", "approve", "list"):
        page = app.post(f"/lending/applications/{application_id}/{action}",
                        {"csrf_token": token, "reason": "looks fine"}).follow()
    assert "is now listed" in page.text
    investor_id = build(lambda world, s: world.investor(cash=D("7000.00")).id)
    form = app.get(f"/lending/applications/{application_id}/invest").forms["deform"]
    form["investor_id"], form["amount"] = str(investor_id), "6000.50"
    res = form.submit("invest", status=409)  # more than remains: a conflict with the application's state
    assert "steps of 50.00" in res.text and "Only 6,000.00 remains" in res.text
    form = res.forms["deform"]
    form["amount"] = "6000.00"
    page = form.submit("invest").follow()
    assert "fully funded" in page.text
    clock.day = TODAY
    page = app.post(f"/lending/applications/{application_id}/disburse",
                    {"csrf_token": token, "disbursed_on": "2025-05-01"}).follow()
    assert "disbursed: 5,880.00 paid out after an origination fee of 120.00" in page.text
    loan_id = int(page.request.path.rsplit("/", 1)[1])
    form = app.get(f"/lending/loans/{loan_id}/repay").forms["deform"]
    form["amount"], form["paid_on"], form["reference"] = "300.00", "2025-06-01", "BANK-1"
    page = form.submit("post").follow()
    assert "Repayment BANK-1 of 300.00 posted" in page.text
    form = app.get(f"/lending/loans/{loan_id}/repay").forms["deform"]
    form["amount"], form["paid_on"], form["reference"] = "300.00", "2025-06-01", "BANK-1"
    res = form.submit("post", status=409)  # already posted: a conflict with what is recorded
    assert "Reference BANK-1 was already posted on 2025-06-01" in res.text
    statement = app.get(f"/lending/customers/{investor_id}/statement")
    assert "Loan " in statement.text and "7,000.00" in statement.text


def test_refused_workflow_button_is_flashed_and_changes_nothing(data, make_user, testapp):
    app = manager(make_user, testapp)
    token = csrf_token(app)
    page = app.post(f"/lending/applications/{data['draft']}/approve", {"csrf_token": token}).follow()
    assert f"Only submitted applications can be approved; application {data['draft']} is draft." in page.text
    page = app.post(f"/lending/applications/{data['submitted']}/reject", {"csrf_token": token}).follow()
    assert "Give the reason for rejecting" in page.text
    assert "submitted" in app.get(f"/lending/applications/{data['submitted']}").text


def test_record_pages_show_history(data, make_user, testapp):
    app = manager(make_user, testapp)
    form = app.get(f"/lending/customers/{data['customer']}/edit").forms["deform"]
    form["phone"] = "+34 600 000 000"
    form.submit("save").follow()
    page = app.get(f"/lending/customers/{data['customer']}")
    history = page.html.find(id="history")
    assert history is not None and "+34 600 000 000" in history.text and "update" in history.text
    for url in (f"/lending/applications/{data['submitted']}", f"/lending/loans/{data['loan']}",
                f"/lending/repayments/{data['repayment']}"):
        history = app.get(url).html.find(id="history")
        assert history is not None and "insert" in history.text, url


def test_loan_page_marks_schedule_and_shows_investors(data, make_user, testapp):
    app = manager(make_user, testapp)
    page = app.get(f"/lending/loans/{data['loan']}")
    states = [td.text for td in page.html.select("#schedule td.installment-state")]
    assert states == ["overdue"] * 4 + ["upcoming"] * 8  # today is 2025-06-01; the first was partly paid
    assert page.html.find(id="investors") is not None
    assert "WEB-1" in page.html.find(id="repayments").text


def test_dashboard_widgets_with_chart(data, make_user, testapp):
    app = manager(make_user, testapp)
    page = app.get("/")
    assert "Loan book" in page.text and "Funding pipeline" in page.text
    assert "<svg" in page.text and "Principal outstanding by delinquency bucket" in page.text
    cards = {w.select_one(".card-title").text: w for w in page.html.select(".widget")}
    for title in ("Disbursements and repayments by month", "Delinquency over time"):
        chart = cards[title].select_one(".chart svg")
        assert chart is not None and "No data yet" not in chart.text, title  # months of history drawn
    assert "Jun 25" in cards["Disbursements and repayments by month"].text  # months on the x axis
    assert any("1-30 days" in t.text for t in cards["Delinquency over time"].select("title"))
    assert "<style" not in page.text and "style=" not in page.text and "pygal.config" not in page.text
    plain = webtest.TestApp(testapp.app)
    login(plain, *make_user(permissions=("core.dashboard.view",)))
    assert "Loan book" not in plain.get("/").text


def test_dashboard_charts_of_an_empty_book_say_no_data_yet(make_user, testapp):
    page = manager(make_user, testapp).get("/")
    cards = {w.select_one(".card-title").text: w for w in page.html.select(".widget")}
    for title in ("Disbursements and repayments by month", "Delinquency over time", "Delinquency by bucket"):
        assert cards[title].select_one(".chart svg text").text == "No data yet", title


def test_api_with_a_bearer_key(mutuo_db, data, build):
    from core.accounts import create_user
    from core.apikeys import create_api_key
    from plugins.lending.models import Loan

    reg = mutuo_db.registry["mutuo.security"]

    def key(world, session):
        user = create_user(session, "api-bot", None, roles=("operations_manager",))
        return create_api_key(session, user, "bank feed", reg,
                              scope=("lending.loan.view", "lending.repayment.view", "lending.repayment.post"))[1]

    token = build(key)
    api = webtest.TestApp(mutuo_db.app, extra_environ={"HTTP_AUTHORIZATION": f"Bearer {token}"})
    loans = api.get("/api/v1/lending/loans?status=active").json
    assert loans["items"] and loans["items"][0]["status"] == "active"
    loan = api.get(f"/api/v1/lending/loans/{data['loan']}").json
    assert len(loan["installments"]) == 12 and loan["holdings"]
    body = {"amount": "100.00", "paid_on": "2025-05-30", "reference": "API-1"}
    created = api.post_json(f"/api/v1/lending/loans/{data['loan']}/repayments", body, status=201).json
    assert created["reference"] == "API-1" and created["amount"] == "100.00"
    again = api.post_json(f"/api/v1/lending/loans/{data['loan']}/repayments", body, status=409).json
    assert again["errors"][0]["field"] == "reference" and again["repayment_id"] == created["id"]
    bad = api.post_json(f"/api/v1/lending/loans/{data['loan']}/repayments", {**body, "reference": "API-2",
                                                                        "amount": "-1"}, status=422).json
    assert bad["errors"][0]["field"] == "amount"
    shares = api.get(f"/api/v1/lending/repayments/{created['id']}").json["shares"]
    assert sum(D(s["amount"]) for s in shares) == D(created["distributed"])
    listed = api.get(f"/api/v1/lending/repayments?loan_id={data['loan']}").json
    assert {r["reference"] for r in listed["items"]} == {"WEB-1", "API-1"}
    with mutuo_db.session_factory() as s:
        assert s.get(Loan, data["loan"]).repayments[-1].reference == "API-1"
    reader = build(lambda w, s: create_api_key(s, create_user(s, "api-reader", None, roles=("loan_officer",)),
                                               "read only", reg)[1])
    api = webtest.TestApp(mutuo_db.app, extra_environ={"HTTP_AUTHORIZATION": f"Bearer {reader}"})
    denied = api.post_json(f"/api/v1/lending/loans/{data['loan']}/repayments", {**body, "reference": "API-3"},
                           status=403).json
    assert denied["missing_permission"] == "lending.repayment.post"


def test_events_from_web_requests_reach_a_plugin(data, make_user, testapp, events):
    """The app's own plugin manager fires lending's hooks inside the request's transaction."""
    app = manager(make_user, testapp)
    token = csrf_token(app)
    app.post(f"/lending/applications/{data['draft']}/submit", {"csrf_token": token}).follow()
    form = app.get(f"/lending/loans/{data['loan']}/repay").forms["deform"]
    form["amount"], form["paid_on"], form["reference"] = "10.00", "2025-05-30", "EVT-1"
    form.submit("post").follow()
    assert events.names()[:2] == ["lending_application_submitted", "lending_review_required"]
    assert events.of("lending_repayment_posted")[0]["amount"] == D("10.00")
