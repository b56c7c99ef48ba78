"""Lending's JSON API (/api/v1/lending): each operation's happy path, refusals as problems, permissions,
idempotent replays, the webhook events, and the old /lending/api addresses redirecting."""
from __future__ import annotations

import itertools
import json
from decimal import Decimal as D

import pytest
import webtest
from sqlalchemy import select

from core.models.api import WebhookDelivery
from plugins.lending.models import Application, CashEntry, Loan, Repayment

from .test_views import _today, build, data  # noqa: F401  (fixtures)

BASE = "/api/v1/lending"
PROBLEM = "application/problem+json"
MANAGER = ("core.dashboard.view", "lending.customer.view", "lending.customer.manage", "lending.cash.view",
           "lending.cash.manage", "lending.application.view", "lending.application.manage",
           "lending.application.approve", "lending.investment.view", "lending.investment.manage",
           "lending.loan.view", "lending.loan.disburse", "lending.loan.manage", "lending.repayment.view",
           "lending.repayment.post")


@pytest.fixture
def client(mutuo_db, make_user):
    """client(permissions) -> a TestApp sending a Bearer key of a fresh user holding exactly them."""
    from core.apikeys import create_api_key
    from core.models.user import User

    reg = mutuo_db.registry["mutuo.security"]

    def make(permissions=MANAGER):
        username, _pw = make_user(permissions=permissions)

        def key(s):
            user = s.scalars(select(User).where(User.username == username)).one()
            return create_api_key(s, user, "test", reg, scope=permissions)[1]
        token = mutuo_db.transaction(key)
        return webtest.TestApp(mutuo_db.app, extra_environ={"HTTP_AUTHORIZATION": f"Bearer {token}"})
    return make


NUMBERS = itertools.count(500, 100)


def parties(build):
    """(product version, verified borrower, investor with cash) ids, numbered apart from the data fixture's."""
    start = next(NUMBERS)

    def make(w, s):
        w.n = start
        return w.product().id, w.customer().id, w.investor().id
    return build(make)


def problem(res, status):
    assert res.status_int == status, res.text[:500]
    assert res.content_type == PROBLEM, res.text[:300]
    return res.json


def idem(key):
    return {"Idempotency-Key": key}


# -- customers, KYC, cash --------------------------------------------------------------------

def test_customers_kyc_documents_and_cash(mutuo_db, data, client):
    api = client()
    body = {"role": "both", "name": "Ana Pérez", "id_number": "x 123 45", "email": "ana@example.com",
            "region": "North"}
    created = api.post_json(f"{BASE}/customers", body, headers=idem("c-1"), status=201)
    customer = created.json
    assert customer["id_number"] == "X12345" and customer["kyc_status"] == "pending"
    assert created.location.endswith(f"{BASE}/customers/{customer['id']}")
    replay = api.post_json(f"{BASE}/customers", body, headers=idem("c-1"), status=201)
    assert replay.headers["Idempotent-Replayed"] == "true" and replay.json == customer
    assert problem(api.post_json(f"{BASE}/customers", {**body, "name": "Other"}, headers=idem("c-1"),
                                 expect_errors=True), 409)["type"] == "urn:mutuo:problem:idempotency-conflict"
    dup = problem(api.post_json(f"{BASE}/customers", body, expect_errors=True), 422)
    assert dup["type"] == "urn:mutuo:problem:refused" and dup["errors"][0]["field"] == "id_number"
    bad = problem(api.post_json(f"{BASE}/customers", {**body, "role": "boss"}, expect_errors=True), 422)
    assert bad["type"] == "urn:mutuo:problem:validation"

    cid = customer["id"]
    assert api.get(f"{BASE}/customers/{cid}").json["name"] == "Ana Pérez"
    listed = api.get(f"{BASE}/customers", {"name": "pérez", "kyc_status": "pending"}).json
    assert [c["id"] for c in listed["items"]] == [cid]
    page = api.get(f"{BASE}/customers", {"limit": 1, "sort": "name"}).json
    assert len(page["items"]) == 1 and page["next_cursor"]
    assert api.patch_json(f"{BASE}/customers/{cid}", {"phone": "555 0101"}).json["phone"] == "555 0101"
    problem(api.patch_json(f"{BASE}/customers/{cid}", {"email": "nope"}, expect_errors=True), 422)
    problem(api.get(f"{BASE}/customers/999999", expect_errors=True), 404)

    # KYC: verifying needs a document, uploaded through core's document store
    refused = problem(api.post_json(f"{BASE}/customers/{cid}/kyc", {"status": "verified"}, expect_errors=True), 422)
    assert refused["errors"][0]["field"] == "kyc_status"
    up = api.post(f"{BASE}/customers/{cid}/documents", {"title": "Passport"},
                  upload_files=[("file", "passport.txt", b"passport scan")], status=201).json
    assert up["title"] == "Passport" and {"entity_type": "lending.customer", "entity_id": str(cid)} in up["records"]
    docs = api.get(f"{BASE}/customers/{cid}/documents").json["items"]
    assert [d["id"] for d in docs] == [up["id"]]
    assert api.post_json(f"{BASE}/customers/{cid}/kyc", {"status": "verified"}).json["kyc_status"] == "verified"

    # cash: deposit, withdraw (idempotent), balance, entries; more than available is a 409
    dep = api.post_json(f"{BASE}/customers/{cid}/cash/deposits", {"amount": "1000.00", "reference": "T-1"},
                        headers=idem("d-1"), status=201).json
    assert dep["amount"] == "1000.00" and dep["kind"] == "deposit"
    api.post_json(f"{BASE}/customers/{cid}/cash/deposits", {"amount": "1000.00", "reference": "T-1"},
                  headers=idem("d-1"), status=201)
    api.post_json(f"{BASE}/customers/{cid}/cash/withdrawals", {"amount": "250.00"}, status=201)
    assert api.get(f"{BASE}/customers/{cid}/cash").json == {"customer_id": cid, "balance": "750.00",
                                                             "reserved": "0.00", "available": "750.00"}
    over = problem(api.post_json(f"{BASE}/customers/{cid}/cash/withdrawals", {"amount": "751.00"},
                                 expect_errors=True), 409)
    assert over["type"] == "urn:mutuo:problem:conflict"
    entries = api.get(f"{BASE}/customers/{cid}/cash/entries", {"kind": "deposit"}).json["items"]
    assert [e["amount"] for e in entries] == ["1000.00"]
    future = problem(api.post_json(f"{BASE}/customers/{cid}/cash/deposits",
                                   {"amount": "1.00", "entry_date": "2099-01-01"}, expect_errors=True), 422)
    assert future["errors"][0]["field"] == "entry_date"
    with mutuo_db.session_factory() as s:
        assert len(s.scalars(select(CashEntry).where(CashEntry.customer_id == cid)).all()) == 2


# -- applications, investments, disbursement --------------------------------------------------

def test_application_workflow_invest_and_disburse(mutuo_db, data, client, build):
    api = client()
    version, borrower, investor = parties(build)
    body = {"customer_id": borrower, "product_version_id": version, "amount": "2000.00", "term_months": 6}
    app = api.post_json(f"{BASE}/applications", body, headers=idem("a-1"), status=201).json
    assert app["status"] == "draft" and app["annual_rate"] == "0.120000" and app["remaining"] == "2000.00"
    aid = app["id"]
    assert api.post_json(f"{BASE}/applications", body, headers=idem("a-1"), status=201).json["id"] == aid
    too_big = problem(api.post_json(f"{BASE}/applications", {**body, "amount": "90000.00"}, expect_errors=True), 422)
    assert too_big["errors"][0]["field"] == "amount"
    assert api.patch_json(f"{BASE}/applications/{aid}", {"purpose": "Stock"}).json["purpose"] == "Stock"
    assert api.post_json(f"{BASE}/applications/{aid}/submit", {}).json["status"] == "submitted"
    # a second submit: the status refuses it
    assert problem(api.post_json(f"{BASE}/applications/{aid}/submit", {}, expect_errors=True), 409)["errors"][0][
        "field"] == "status"
    problem(api.post_json(f"{BASE}/applications/{aid}/reject", {"reason": ""}, expect_errors=True), 422)
    assert api.post_json(f"{BASE}/applications/{aid}/approve", {"reason": "fine"}).json["status"] == "approved"
    assert api.post_json(f"{BASE}/applications/{aid}/list", {}).json["status"] == "listed"
    assert [a["id"] for a in api.get(f"{BASE}/applications", {"status": "listed", "customer_id": borrower})
            .json["items"]] == [aid]

    inv = api.post_json(f"{BASE}/applications/{aid}/investments", {"investor_id": investor, "amount": "2000.00"},
                        headers=idem("i-1"), status=201).json
    assert inv["status"] == "reserved"
    again = api.post_json(f"{BASE}/applications/{aid}/investments", {"investor_id": investor, "amount": "2000.00"},
                          headers=idem("i-1"), status=201)
    assert again.headers["Idempotent-Replayed"] == "true"
    full = problem(api.post_json(f"{BASE}/applications/{aid}/investments",
                                 {"investor_id": investor, "amount": "100.00"}, expect_errors=True), 409)
    assert full["type"] == "urn:mutuo:problem:conflict"
    assert len(api.get(f"{BASE}/applications/{aid}/investments").json["items"]) == 1
    assert api.get(f"{BASE}/applications/{aid}").json["status"] == "funded"

    loan = api.post_json(f"{BASE}/applications/{aid}/disburse", {"disbursed_on": "2025-06-01"},
                         headers=idem("x-1"), status=201)
    assert loan.location.endswith(f"{BASE}/loans/{loan.json['id']}")
    assert loan.json["principal"] == "2000.00" and len(loan.json["installments"]) == 6
    assert api.post_json(f"{BASE}/applications/{aid}/disburse", {"disbursed_on": "2025-06-01"},
                         headers=idem("x-1"), status=201).json["id"] == loan.json["id"]
    problem(api.post_json(f"{BASE}/applications/{aid}/disburse", {}, expect_errors=True), 409)
    assert api.get(f"{BASE}/applications/{aid}").json["loan_id"] == loan.json["id"]
    # cancel: a draft goes, a disbursed one is refused
    draft = data["draft"]
    problem(api.post_json(f"{BASE}/applications/{draft}/cancel", {"reason": ""}, expect_errors=True), 422)
    assert api.post_json(f"{BASE}/applications/{draft}/cancel", {"reason": "withdrawn"}).json["status"] == "cancelled"
    problem(api.post_json(f"{BASE}/applications/{aid}/cancel", {"reason": "late"}, expect_errors=True), 409)
    with mutuo_db.session_factory() as s:
        assert s.scalars(select(Loan).where(Loan.application_id == aid)).one().principal == D("2000.00")
        assert s.get(Application, aid).status == "disbursed"


# -- loans, repayments, delinquency ---------------------------------------------------------

def test_loans_repayments_and_delinquency(mutuo_db, data, client):
    api = client()
    loans = api.get(f"{BASE}/loans", {"status": "active", "sort": "-days_past_due"}).json
    assert loans["items"] and all(x["status"] == "active" for x in loans["items"])
    loan = api.get(f"{BASE}/loans/{data['loan']}").json
    assert len(loan["installments"]) == 12 and loan["holdings"]
    # the list sums principal left in SQL; the record adds up its installments: the same figure
    listed = {x["id"]: x for x in loans["items"]}
    assert listed[data["loan"]]["principal_outstanding"] == loan["principal_outstanding"]
    assert D(loan["principal_outstanding"]) == sum(D(i["principal_due"]) - D(i["principal_paid"])
                                                   for i in loan["installments"])
    assert api.get(f"{BASE}/loans", {"bucket": "91+"}).json["items"] == []
    url = f"{BASE}/loans/{data['loan']}/repayments"
    body = {"amount": "100.00", "paid_on": "2025-05-30", "reference": "API-1"}
    created = api.post_json(url, body, headers=idem("r-1"), status=201)
    assert created.json["reference"] == "API-1" and created.json["loan_status"] == "active"
    assert created.location.endswith(f"{BASE}/repayments/{created.json['id']}")
    replay = api.post_json(url, body, headers=idem("r-1"), status=201)
    assert replay.headers["Idempotent-Replayed"] == "true" and replay.json == created.json
    dup = problem(api.post_json(url, body, expect_errors=True), 409)
    assert dup["errors"][0]["field"] == "reference" and dup["repayment_id"] == created.json["id"]
    over = problem(api.post_json(url, {**body, "reference": "API-OVER", "amount": "999999.00"}, expect_errors=True),
                   409)
    assert over["errors"][0]["field"] == "amount"
    assert problem(api.post_json(url, {**body, "reference": "API-2", "amount": "-1"}, expect_errors=True),
                   422)["errors"][0]["field"] == "amount"
    assert problem(api.post_json(url, {**body, "reference": "API-3", "paid_on": "2099-01-01"}, expect_errors=True),
                   422)["errors"][0]["field"] == "paid_on"
    shares = api.get(f"{BASE}/repayments/{created.json['id']}").json["shares"]
    assert sum(D(s["amount"]) for s in shares) == D(created.json["distributed"])
    assert {r["reference"] for r in api.get(url).json["items"]} == {"WEB-1", "API-1"}
    assert {r["reference"] for r in api.get(f"{BASE}/repayments", {"loan_id": data["loan"]}).json["items"]} == \
        {"WEB-1", "API-1"}
    buckets = api.get(f"{BASE}/delinquency").json
    assert buckets["buckets"][0]["bucket"] == "current" and buckets["buckets"][0]["loans"] >= 1
    problem(api.post_json(f"{BASE}/loans/{data['loan']}/write-off", {"reason": ""}, expect_errors=True), 422)
    off = api.post_json(f"{BASE}/loans/{data['loan']}/write-off", {"reason": "fraud"}).json
    assert off["status"] == "written_off"
    assert problem(api.post_json(url, {**body, "reference": "API-4"}, expect_errors=True), 409)
    with mutuo_db.session_factory() as s:
        assert s.scalars(select(Repayment).where(Repayment.reference == "API-1")).one().amount == D("100.00")


def test_permissions_are_enforced(mutuo_db, data, client):
    reader = client(("core.dashboard.view", "lending.loan.view", "lending.customer.view"))
    assert reader.get(f"{BASE}/loans").json["items"]
    denied = problem(reader.post_json(f"{BASE}/loans/{data['loan']}/repayments",
                                      {"amount": "1.00", "paid_on": "2025-05-30", "reference": "NO"},
                                      expect_errors=True), 403)
    assert denied["missing_permission"] == "lending.repayment.post"
    for method, path, perm in [("get", f"/customers/{data['investor']}/cash", "lending.cash.view"),
                               ("get", "/applications", "lending.application.view"),
                               ("get", "/repayments", "lending.repayment.view"),
                               ("post", "/customers", "lending.customer.manage"),
                               ("post", f"/applications/{data['submitted']}/approve", "lending.application.approve"),
                               ("post", f"/applications/{data['listed']}/disburse", "lending.loan.disburse")]:
        res = getattr(reader, f"{method}_json" if method == "post" else method)(
            BASE + path, *([{}] if method == "post" else []), expect_errors=True)
        assert problem(res, 403)["missing_permission"] == perm, path
    anonymous = webtest.TestApp(mutuo_db.app)
    problem(anonymous.get(f"{BASE}/loans", expect_errors=True), 401)


def test_operations_are_documented_with_their_permission(mutuo_db, client):
    doc = client().get("/api/v1/openapi.json").json
    ops = {op["operationId"]: op for methods in doc["paths"].values() for op in methods.values()}
    mine = {k: v for k, v in ops.items() if k.startswith("lending.")}
    assert len(mine) >= 30
    assert mine["lending.repayments.create"]["x-permission"] == "lending.repayment.post"
    assert set(doc["webhooks"]) >= {"lending.application.submitted", "lending.loan.disbursed",
                                    "lending.repayment.posted", "lending.loan.delinquency_changed",
                                    "lending.loan.closed"}


# -- events ---------------------------------------------------------------------------------

@pytest.fixture
def endpoint(mutuo_db):
    """An endpoint subscribed to every lending event (returns a function reading its queued deliveries)."""
    from core.webhooks import create_endpoint, webhook_events

    names = [n for n in webhook_events(mutuo_db.pm) if n.startswith("lending.")]

    def make(s):
        return create_endpoint(s, {"mutuo.webhooks.allowed_hosts": "hooks.example.com"}, names,
                               url="https://hooks.example.com/mutuo", events=names)[0].id
    ident = mutuo_db.transaction(make)

    def deliveries(event=None):
        with mutuo_db.session_factory() as s:
            stmt = select(WebhookDelivery).where(WebhookDelivery.endpoint_id == ident).order_by(WebhookDelivery.id)
            rows = [(d.event, json.loads(d.body)["data"]) for d in s.scalars(stmt)]
        return [data for name, data in rows if name == event] if event else rows
    return deliveries


def test_events_are_published_with_the_change(mutuo_db, client, build, endpoint):
    api = client()
    version, borrower, investor = parties(build)
    aid = api.post_json(f"{BASE}/applications", {"customer_id": borrower, "product_version_id": version,
                                                  "amount": "1000.00", "term_months": 3}, status=201).json["id"]
    api.post_json(f"{BASE}/applications/{aid}/submit", {})
    assert endpoint("lending.application.submitted") == [{"application_id": aid, "customer_id": borrower,
                                                           "amount": "1000.00", "review_pending": []}]
    api.post_json(f"{BASE}/applications/{aid}/approve", {})
    api.post_json(f"{BASE}/applications/{aid}/list", {})
    api.post_json(f"{BASE}/applications/{aid}/investments", {"investor_id": investor, "amount": "1000.00"},
                  status=201)
    loan = api.post_json(f"{BASE}/applications/{aid}/disburse", {}, status=201).json
    [disbursed] = endpoint("lending.loan.disbursed")
    assert disbursed["loan_id"] == loan["id"] and disbursed["principal"] == "1000.00"
    # a refused repayment publishes nothing
    api.post_json(f"{BASE}/loans/{loan['id']}/repayments", {"amount": "999999.00", "paid_on": loan["disbursed_on"],
                                                           "reference": "TOO-MUCH"}, status=409)
    assert endpoint("lending.repayment.posted") == []
    paid = api.post_json(f"{BASE}/loans/{loan['id']}/repayments",
                         {"amount": loan["payoff_amount"], "paid_on": loan["disbursed_on"], "reference": "ALL"},
                         status=201).json
    assert paid["loan_status"] == "closed"
    [posted] = endpoint("lending.repayment.posted")
    assert posted["repayment_id"] == paid["id"] and posted["reference"] == "ALL"
    assert endpoint("lending.loan.closed")[0]["loan_id"] == loan["id"]


def test_delinquency_changes_are_published(mutuo_db, build, endpoint):
    loan_id = build(lambda w, s: w.overdue_loan(10).id)
    changed = endpoint("lending.loan.delinquency_changed")
    assert changed and changed[-1]["loan_id"] == loan_id and changed[-1]["new_bucket"] == "1-30"


# -- the old addresses ---------------------------------------------------------------------------

def test_old_api_addresses_redirect_permanently(mutuo_db, data, client):
    api = client()
    res = api.get("/lending/api/loans?status=active", status=308)
    assert res.location.endswith(f"{BASE}/loans?status=active")
    assert api.get(f"/lending/api/loans/{data['loan']}", status=308).location.endswith(f"{BASE}/loans/{data['loan']}")
    post = api.post_json(f"/lending/api/loans/{data['loan']}/repayments", {}, status=308)
    assert post.location.endswith(f"{BASE}/loans/{data['loan']}/repayments")
    assert api.get(f"/lending/api/repayments/{data['repayment']}", status=308).location.endswith(
        f"{BASE}/repayments/{data['repayment']}")
