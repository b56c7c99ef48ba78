"""Products' JSON API: catalog, versions, workflow actions, the schedule calculator, events."""
from __future__ import annotations

import json
from decimal import Decimal as D

import pytest
import webtest
from sqlalchemy import func, select

from core.models.api import WebhookDelivery
from plugins.products import services
from plugins.products.testing import TERMS

API = "/api/v1/products"
PROBLEM = "application/problem+json"
VIEW = ("core.dashboard.view", "products.view")
MANAGE = VIEW + ("products.manage",)

NEW = {"code": "CASH-12", "name": "Cash loan", "min_amount": "1000.00", "max_amount": "50000.00",
       "min_term_months": 6, "max_term_months": 36, "min_rate": "0.08", "default_rate": "0.12", "max_rate": "0.24",
       "repayment_method": "equal_installment", "min_investment": "50.00", "investment_increment": "50.00",
       "funding_window_days": 14}
QUOTE = {"amount": "10000.00", "term_months": 12, "rate": "0.12", "method": "equal_installment",
         "first_due_date": "2025-01-31"}


@pytest.fixture
def api(mutuo_db):
    return webtest.TestApp(mutuo_db.app)


@pytest.fixture
def key_for(api_key_for):
    """key_for(permissions) -> headers with a fresh user's API key holding them (default: a product manager's)."""
    return lambda permissions=MANAGE, **kw: api_key_for(permissions, **kw)


@pytest.fixture
def ids(mutuo_db):
    """A draft (DRAFT-1), an active product with two versions (CASH-12) and a retired one (OLD-1)."""
    def make(session):
        draft = services.create_product(session, code="DRAFT-1", name="Draft loan", **TERMS)
        active = services.create_product(session, code="CASH-12", name="Cash loan", **TERMS)
        services.activate(session, active)
        services.update_product(session, active, default_rate=D("0.10"))
        old = services.create_product(session, code="OLD-1", name="Old bullet", **{**TERMS,
                                                                                   "repayment_method": "bullet"})
        services.activate(session, old)
        services.retire(session, old)
        return {"draft": draft.id, "active": active.id, "old": old.id, "v1": active.versions[0].id,
                "v2": active.versions[1].id}
    return mutuo_db.transaction(make)


def problem(res, status):
    assert res.status_int == status, res.text[:500]
    assert res.content_type == PROBLEM
    body = res.json
    assert body["status"] == status and body["title"]
    return body


# -- the catalog ------------------------------------------------------------------------------

def test_list_filters_sorts_and_pages(api, key_for, ids):
    h = key_for(VIEW)
    items = api.get(f"{API}/products", headers=h).json["items"]
    assert [p["code"] for p in items] == ["CASH-12", "DRAFT-1", "OLD-1"]  # default sort: code
    cash = items[0]
    assert cash["status"] == "active" and cash["current_version"]["number"] == 2
    assert cash["current_version"]["default_rate"] == "0.100000" and cash["current_version"]["min_amount"] == "1000.00"
    assert cash["current_version"]["current"] is True
    assert [p["code"] for p in api.get(f"{API}/products", {"status": "draft"}, headers=h).json["items"]] == ["DRAFT-1"]
    assert [p["code"] for p in api.get(f"{API}/products", {"code": "OLD-1"}, headers=h).json["items"]] == ["OLD-1"]
    assert [p["code"] for p in api.get(f"{API}/products", {"search": "loan"}, headers=h).json["items"]] == \
        ["CASH-12", "DRAFT-1"]
    assert [p["code"] for p in api.get(f"{API}/products", {"search": "BULLET"}, headers=h).json["items"]] == ["OLD-1"]
    assert api.get(f"{API}/products", {"search": "%"}, headers=h).json["items"] == []  # literal, not a wildcard
    assert [p["code"] for p in api.get(f"{API}/products", {"method": "bullet"}, headers=h).json["items"]] == ["OLD-1"]
    assert problem(api.get(f"{API}/products", {"method": "balloon"}, headers=h, status=422), 422)["errors"][0][
        "field"] == "method"  # a declared filter: validated by its schema
    names = [p["name"] for p in api.get(f"{API}/products", {"sort": "-name"}, headers=h).json["items"]]
    assert names == sorted(names, reverse=True)
    first = api.get(f"{API}/products", {"limit": 2}, headers=h).json
    assert len(first["items"]) == 2 and first["next_cursor"]
    rest = api.get(f"{API}/products", {"limit": 2, "cursor": first["next_cursor"]}, headers=h).json
    assert [p["code"] for p in rest["items"]] == ["OLD-1"] and rest["next_cursor"] is None
    problem(api.get(f"{API}/products", {"status": "dormant"}, headers=h, status=422), 422)


def test_record(api, key_for, ids):
    h = key_for(VIEW)
    body = api.get(f"{API}/products/{ids['active']}", headers=h).json
    assert body["code"] == "CASH-12" and body["current_version"]["id"] == ids["v2"]
    problem(api.get(f"{API}/products/99999", headers=h, status=404), 404)
    problem(api.get(f"{API}/products/abc", headers=h, status=404), 404)


def test_reading_needs_products_view(api, key_for, ids):
    h = key_for(("core.dashboard.view",))
    for url in (f"{API}/products", f"{API}/products/{ids['active']}", f"{API}/products/{ids['active']}/versions",
                f"{API}/versions/{ids['v1']}"):
        assert problem(api.get(url, headers=h, status=403), 403)["missing_permission"] == "products.view"
    assert problem(api.post_json(f"{API}/schedule", QUOTE, headers=h, status=403), 403)["missing_permission"] == \
        "products.view"
    problem(api.get(f"{API}/products", status=401), 401)


def test_create(mutuo_db, api, key_for):
    h = key_for()
    res = api.post_json(f"{API}/products", {**NEW, "description": "  For salaried customers. "}, headers=h,
                        status=201)
    body = res.json
    assert body["status"] == "draft" and body["description"] == "For salaried customers."
    assert body["current_version"]["number"] == 1 and body["current_version"]["day_count"] == "actual/365"
    assert body["current_version"]["allocation_order"] == "penalty,fee,interest,principal"
    assert res.location.endswith(f"{API}/products/{body['id']}")
    product = mutuo_db.transaction(lambda s: s.get(services.LoanProduct, body["id"]).current_version.max_rate)
    assert product == D("0.24")
    # the services' rules, refused as 422 problems naming the field
    for change, field in ((({"code": "cash-12"}), "code"), ({"max_amount": "10.00"}, "max_amount"),
                          ({"default_rate": "0.30"}, "default_rate"), ({"max_rate": "12"}, "max_rate"),
                          ({"min_rate": "0.0000001"}, "min_rate"), ({"max_term_months": 601}, "max_term_months"),
                          ({"allocation_order": "fee,fee,interest,principal"}, "allocation_order"),
                          ({"name": "Bad\x00name"}, "name")):
        body = problem(api.post_json(f"{API}/products", {**NEW, "code": "OTHER", **change}, headers=h,
                                     status=422), 422)
        assert body["type"] == "urn:mutuo:problem:refused" and body["errors"][0]["field"] == field, (change, body)
    body = problem(api.post_json(f"{API}/products", {**NEW, "repayment_method": "balloon"}, headers=h, status=422), 422)
    assert body["type"] == "urn:mutuo:problem:validation" and body["errors"][0]["field"] == "repayment_method"
    body = problem(api.post_json(f"{API}/products", {k: v for k, v in NEW.items() if k != "max_rate"}, headers=h,
                                 status=422), 422)
    assert body["errors"][0]["field"] == "max_rate"


def test_create_is_idempotent(mutuo_db, api, key_for):
    h = {**key_for(), "Idempotency-Key": "product-1"}
    first = api.post_json(f"{API}/products", NEW, headers=h, status=201)
    again = api.post_json(f"{API}/products", NEW, headers=h, status=201)
    assert again.json == first.json and again.headers["Idempotent-Replayed"] == "true"
    body = problem(api.post_json(f"{API}/products", {**NEW, "code": "OTHER"}, headers=h, status=409), 409)
    assert body["type"] == "urn:mutuo:problem:idempotency-conflict"
    count = mutuo_db.transaction(lambda s: s.scalar(select(func.count()).select_from(services.LoanProduct)))
    assert count == 1


def test_writes_need_products_manage(api, key_for, ids):
    h = key_for(VIEW)
    for method, url, body in (("post", f"{API}/products", NEW), ("patch", f"{API}/products/{ids['draft']}", {}),
                              ("post", f"{API}/products/{ids['draft']}/activate", None),
                              ("post", f"{API}/products/{ids['active']}/retire", None),
                              ("post", f"{API}/products/{ids['active']}/versions", {"default_rate": "0.11"})):
        res = getattr(api, f"{method}_json")(url, body, headers=h, status=403) if body is not None else \
            api.post(url, headers=h, status=403)
        assert problem(res, 403)["missing_permission"] == "products.manage", url


def test_session_writes_need_the_csrf_header(testapp, logged_in, ids):
    from core.testing import csrf_token

    logged_in(MANAGE)
    assert problem(testapp.post(f"{API}/products/{ids['draft']}/activate", status=403), 403)["type"] == \
        "urn:mutuo:problem:csrf"
    res = testapp.post(f"{API}/products/{ids['draft']}/activate", headers={"X-CSRF-Token": csrf_token(testapp)})
    assert res.json["status"] == "active"


def test_update(api, key_for, ids):
    h = key_for()
    draft = api.patch_json(f"{API}/products/{ids['draft']}", {"name": "Draft loan 2", "code": "DRAFT-2",
                                                             "max_term_months": 24}, headers=h).json
    assert (draft["code"], draft["name"], draft["current_version"]["number"]) == ("DRAFT-2", "Draft loan 2", 1)
    assert draft["current_version"]["max_term_months"] == 24  # a draft is changed in place
    active = api.patch_json(f"{API}/products/{ids['active']}", {"max_rate": "0.20"}, headers=h).json
    assert active["current_version"]["number"] == 3 and active["current_version"]["max_rate"] == "0.200000"
    same = api.patch_json(f"{API}/products/{ids['active']}", {"description": "Now described"}, headers=h).json
    assert same["current_version"]["number"] == 3 and same["description"] == "Now described"
    body = problem(api.patch_json(f"{API}/products/{ids['active']}", {"code": "CASH-24"}, headers=h, status=422), 422)
    assert body["errors"][0]["field"] == "code"
    body = problem(api.patch_json(f"{API}/products/{ids['old']}", {"name": "x"}, headers=h, status=409), 409)
    assert body["type"] == "urn:mutuo:problem:conflict" and "OLD-1 is retired" in body["detail"]
    problem(api.patch_json(f"{API}/products/99999", {"name": "x"}, headers=h, status=404), 404)
    problem(api.patch_json(f"{API}/products/{ids['draft']}", {"status": "active"}, headers=h, status=422), 422)


def test_activate_and_retire(api, key_for, ids):
    h = key_for()
    assert api.post(f"{API}/products/{ids['draft']}/activate", headers=h).json["status"] == "active"
    body = problem(api.post(f"{API}/products/{ids['draft']}/activate", headers=h, status=409), 409)
    assert "already active" in body["detail"]
    assert api.post(f"{API}/products/{ids['draft']}/retire", headers=h).json["status"] == "retired"
    problem(api.post(f"{API}/products/{ids['old']}/activate", headers=h, status=409), 409)
    problem(api.post(f"{API}/products/{ids['old']}/retire", headers=h, status=409), 409)
    problem(api.post(f"{API}/products/99999/retire", headers=h, status=404), 404)


def test_a_refusal_in_spanish(api, key_for, ids):
    h = {**key_for(), "Accept-Language": "es"}
    body = problem(api.post(f"{API}/products/{ids['old']}/retire", headers=h, status=409), 409)
    assert body["detail"] == "El producto OLD-1 ya está retirado." and body["title"] == "Conflicto"


# -- versions -------------------------------------------------------------------------------------

def test_versions(api, key_for, ids):
    h = key_for(VIEW)
    items = api.get(f"{API}/products/{ids['active']}/versions", headers=h).json["items"]
    assert [(v["number"], v["current"], v["default_rate"]) for v in items] == [(1, False, "0.120000"),
                                                                               (2, True, "0.100000")]
    assert [v["number"] for v in api.get(f"{API}/products/{ids['active']}/versions", {"sort": "-number"},
                                         headers=h).json["items"]] == [2, 1]
    one = api.get(f"{API}/versions/{ids['v1']}", headers=h).json
    assert one["product_code"] == "CASH-12" and one["number"] == 1 and one["current"] is False
    problem(api.get(f"{API}/versions/99999", headers=h, status=404), 404)
    problem(api.get(f"{API}/products/99999/versions", headers=h, status=404), 404)


def test_create_version(mutuo_db, api, key_for, ids):
    h = {**key_for(), "Idempotency-Key": "terms-1"}
    res = api.post_json(f"{API}/products/{ids['active']}/versions", {"default_rate": "0.11"}, headers=h, status=201)
    assert res.json["number"] == 3 and res.json["default_rate"] == "0.110000" and res.json["current"] is True
    assert res.json["max_amount"] == "50000.00"  # the terms not given are the current version's
    assert res.location.endswith(f"{API}/versions/{res.json['id']}")
    again = api.post_json(f"{API}/products/{ids['active']}/versions", {"default_rate": "0.11"}, headers=h, status=201)
    assert again.headers["Idempotent-Replayed"] == "true" and again.json == res.json
    problem(api.post_json(f"{API}/products/{ids['active']}/versions", {"default_rate": "0.12"}, headers=h,
                          status=409), 409)  # the key was used for another body
    h = key_for()
    body = problem(api.post_json(f"{API}/products/{ids['active']}/versions", {"default_rate": "0.11"}, headers=h,
                                 status=422), 422)
    assert "version 3 already" in body["detail"]
    body = problem(api.post_json(f"{API}/products/{ids['active']}/versions", {"default_rate": "0.50"}, headers=h,
                                 status=422), 422)
    assert body["errors"][0]["field"] == "default_rate"
    body = problem(api.post_json(f"{API}/products/{ids['draft']}/versions", {"default_rate": "0.11"}, headers=h,
                                 status=409), 409)
    assert "is a draft" in body["detail"]
    problem(api.post_json(f"{API}/products/{ids['old']}/versions", {"default_rate": "0.11"}, headers=h,
                          status=409), 409)
    problem(api.post_json(f"{API}/products/{ids['active']}/versions", {}, headers=h, status=422), 422)
    es = problem(api.post_json(f"{API}/products/{ids['active']}/versions", {"default_rate": "0.11"},
                               headers={**h, "Accept-Language": "es"}, status=422), 422)
    assert es["detail"] == ("Estas ya son las condiciones de la versión 3; cambie al menos una para crear una nueva "
                            "versión.")
    count = mutuo_db.transaction(lambda s: s.get(services.LoanProduct, ids["active"]).current_version.number)
    assert count == 3


# -- the schedule calculator ---------------------------------------------------------------------

@pytest.mark.parametrize("method", ["equal_installment", "equal_principal", "interest_first", "bullet"])
def test_schedule_reconciles_to_the_cent(api, key_for, method):
    h = key_for(VIEW)
    body = api.post_json(f"{API}/schedule", {**QUOTE, "method": method, "amount": "10000.01", "fee_rate": "0.02"},
                         headers=h).json
    rows = body["installments"]
    assert len(rows) == (1 if method == "bullet" else 12)
    principal = sum(D(r["principal"]) for r in rows)
    interest = sum(D(r["interest"]) for r in rows)
    assert principal == D("10000.01") == D(body["totals"]["principal"])
    assert interest == D(body["totals"]["interest"])
    assert sum(D(r["total"]) for r in rows) == D(body["totals"]["total"]) == principal + interest
    assert all(D(r["principal"]) + D(r["interest"]) == D(r["total"]) for r in rows)
    assert rows[-1]["remaining"] == "0.00"
    assert body["fee"] == "200.00" and body["net_disbursed"] == "9800.01"
    assert D(body["apr"]) > D("0.12")


def test_schedule_matches_the_engine(api, key_for):
    from datetime import date

    from plugins.products.schedule import build_schedule

    body = api.post_json(f"{API}/schedule", QUOTE, headers=key_for(VIEW)).json
    first = body["installments"][0]
    assert first == {"number": 1, "due_date": "2025-01-31", "principal": "788.49", "interest": "100.00",
                     "total": "888.49", "remaining": "9211.51"}
    assert body["installments"][1]["due_date"] == "2025-02-28"
    engine = build_schedule(D("10000.00"), D("0.12"), 12, "equal_installment", date(2025, 1, 31))
    assert [r["total"] for r in body["installments"]] == [f"{i.total:.2f}" for i in engine]
    assert body["fee"] == "0.00" and abs(D(body["apr"]) - D("0.12")) < D("0.00001")  # the cents' rounding


def test_schedule_refusals(api, key_for):
    h = key_for(VIEW)
    for change, field in (({"amount": "0.00"}, "amount"), ({"term_months": 601}, "term_months"),
                          ({"rate": "1.5"}, "rate"), ({"fee_rate": "1"}, "fee_rate"),
                          ({"amount": "0.01", "fee_rate": "0.99"}, "fee_rate"),
                          ({"first_due_date": "1800-01-31"}, "first_due_date")):
        body = problem(api.post_json(f"{API}/schedule", {**QUOTE, **change}, headers=h, status=422), 422)
        assert body["errors"][0]["field"] == field, change
    body = problem(api.post_json(f"{API}/schedule", {**QUOTE, "amount": 10000}, headers=h, status=422), 422)
    assert body["type"] == "urn:mutuo:problem:validation"
    body = problem(api.post_json(f"{API}/schedule", {**QUOTE, "term_months": 0}, headers=h, status=422), 422)
    assert body["errors"][0]["field"] == "term_months"
    es = problem(api.post_json(f"{API}/schedule", {**QUOTE, "amount": "0.00"}, headers={**h, "Accept-Language": "es"},
                               status=422), 422)
    assert es["detail"] == "El importe debe ser mayor que cero."


# -- events --------------------------------------------------------------------------------------

@pytest.fixture
def sender(webhook_sender):
    """Deliveries in memory, endpoints on hooks.example.com (core.testing's webhook_sender)."""
    return webhook_sender


def test_events_are_declared_and_published(mutuo_db, api, key_for, ids, sender, run_job):
    from core.webhooks import verify_signature

    admin = key_for(("core.dashboard.view", "core.webhook.manage"))
    declared = {e["name"] for e in api.get("/api/v1/core/webhook-events", headers=admin).json["items"]}
    assert {"products.product.activated", "products.product.retired", "products.version.created"} <= declared
    doc = mutuo_db.app.registry["mutuo.api.document"]
    assert "products.product.retired" in doc["webhooks"]
    endpoint = api.post_json("/api/v1/core/webhooks", {
        "url": "https://hooks.example.com/products",
        "events": ["products.product.activated", "products.product.retired", "products.version.created"]},
        headers=admin, status=201).json

    h = key_for()
    api.post(f"{API}/products/{ids['draft']}/activate", headers=h)
    version = api.post_json(f"{API}/products/{ids['active']}/versions", {"grace_days": 5}, headers=h, status=201).json
    api.post(f"{API}/products/{ids['active']}/retire", headers=h)
    api.post(f"{API}/products/{ids['active']}/retire", headers=h, status=409)  # refused: nothing published
    run_job("core.deliver_webhooks")
    events = [json.loads(body) for _url, body, _headers in sender.sent]
    assert all(verify_signature(endpoint["secret"], headers["Mutuo-Signature"], body)
               for _url, body, headers in sender.sent)
    got = sorted((e["event"], e["data"]["product_id"]) for e in events)
    assert got == sorted([("products.product.activated", ids["draft"]), ("products.version.created", ids["active"]),
                          ("products.product.retired", ids["active"])])
    created = next(e["data"] for e in events if e["event"] == "products.version.created")
    assert created == {"product_id": ids["active"], "code": "CASH-12", "status": "active",
                       "version_id": version["id"], "version_number": 3}
    retired = next(e["data"] for e in events if e["event"] == "products.product.retired")
    assert retired["status"] == "retired" and retired["version_number"] == 3


def test_the_web_pages_publish_the_same_events(mutuo_db, testapp, logged_in, ids):
    """The event lives in the service: activating on the product page queues it too."""
    from core import webhooks
    from core.testing import csrf_token

    mutuo_db.app.registry.settings["mutuo.webhooks.allowed_hosts"] = "hooks.example.com"
    try:
        mutuo_db.transaction(lambda s: webhooks.create_endpoint(
            s, mutuo_db.app.registry.settings, webhooks.webhook_events(mutuo_db.pm),
            url="https://hooks.example.com/x", events=["products.product.activated"], description="", user_id=None))
    finally:
        mutuo_db.app.registry.settings.pop("mutuo.webhooks.allowed_hosts", None)
    logged_in(MANAGE)
    testapp.post(f"/products/{ids['draft']}/activate", {"csrf_token": csrf_token(testapp)}, status=302)
    rows = mutuo_db.transaction(lambda s: [(d.event, json.loads(d.body)["data"]["code"])
                                           for d in s.scalars(select(WebhookDelivery))])
    assert rows == [("products.product.activated", "DRAFT-1")]


def test_operations_are_documented(mutuo_db):
    doc = mutuo_db.app.registry["mutuo.api.document"]
    ops = {op["operationId"]: op for methods in doc["paths"].values() for op in methods.values()}
    expected = {"products.products.list", "products.products.read", "products.products.create",
                "products.products.update", "products.products.activate", "products.products.retire",
                "products.versions.list", "products.versions.read", "products.versions.create",
                "products.schedule.calculate"}
    assert expected <= set(ops)
    assert ops["products.schedule.calculate"]["x-permission"] == "products.view"
    assert ops["products.products.create"]["x-permission"] == "products.manage"
    assert any(p["name"] == "Idempotency-Key" for p in ops["products.versions.create"]["parameters"])


def test_the_reference_page_lists_them(testapp, logged_in):
    logged_in(VIEW)
    page = testapp.get("/api/v1/docs")
    for op in ("products.products.list", "products.versions.create", "products.schedule.calculate"):
        assert page.html.find(id="op-" + op.replace(".", "-")) is not None, op
    assert "products.product.activated" in page.text


def test_json_numbers_are_never_floats(api, key_for):
    """12.0 is the whole number 12 (JSON Schema 2020-12), 12.5 is refused for a whole number, NaN is not JSON:
    numbers reach the services as int or Decimal, never float, and never cause a 500."""
    headers = {**key_for(VIEW), "Content-Type": "application/json"}

    def term(literal):
        return json.dumps({**QUOTE, "term_months": "TERM"}).replace('"TERM"', literal)

    assert len(api.post(f"{API}/schedule", term("12.0"), headers=headers).json["installments"]) == 12
    assert problem(api.post(f"{API}/schedule", term("12.5"), headers=headers, status=422), 422)["errors"]
    problem(api.post(f"{API}/schedule", term("NaN"), headers=headers, status=400), 400)
    problem(api.post(f"{API}/schedule", term("1e99999"), headers=headers, status=400), 400)
