"""Issue 11, items 7 and 8 in lending: amounts by locale, no 500 on odd input, nothing half-written."""
from decimal import Decimal as D

import pytest
from sqlalchemy import func, select

from core.testing import csrf_token
from plugins.lending.models import Customer, Repayment

from .test_views import _today, build, data, manager  # noqa: F401  (fixtures and helper shared with the views' tests)


def _count(mutuo_db, model) -> int:
    with mutuo_db.session_factory() as s:
        return s.scalar(select(func.count()).select_from(model))


def _repay(app, loan, amount, reference="IN-1", paid_on="2025-05-30", status=400):
    form = app.get(f"/lending/loans/{loan}/repay").forms["deform"]
    form["amount"], form["paid_on"], form["reference"] = amount, paid_on, reference
    return form.submit("post", status=status)


@pytest.mark.parametrize("amount, message", [
    ("1,50", "is not an amount; write it like 1,234.50. Did you mean 150?"),
    ("1,0,0", "is not an amount"),
    ("١٢", "is not an amount"),
    ("1e30", "is not an amount"),
    ("1e20", "is not an amount"),
    ("NaN", "is not an amount"),
    ("10000000000000000", "That is too large"),
])
def test_odd_amounts_are_field_errors(mutuo_db, data, make_user, testapp, amount, message):
    app = manager(make_user, testapp)
    before = _count(mutuo_db, Repayment)
    res = _repay(app, data["loan"], amount)
    assert message in res.text
    assert _count(mutuo_db, Repayment) == before


def test_a_grouped_amount_posts_what_it_says(mutuo_db, data, make_user, testapp):
    app = manager(make_user, testapp)
    _repay(app, data["loan"], "1,234.50", reference="IN-2", status=302)
    with mutuo_db.session_factory() as s:
        assert s.scalar(select(Repayment.amount).where(Repayment.reference == "IN-2")) == D("1234.50")


def test_a_date_out_of_range_is_a_field_error(mutuo_db, data, make_user, testapp):
    app = manager(make_user, testapp)
    res = _repay(app, data["loan"], "10.00", paid_on="9999-12-31")
    assert "Use a date between 1900-01-01 and 2199-12-31." in res.text


@pytest.mark.parametrize("field, value", [("phone", "5" * 51), ("id_number", "X" * 65), ("region", "R" * 101),
                                          ("name", "Ana\x1bRuiz")])
def test_customer_text_beyond_its_column_is_a_field_error(mutuo_db, make_user, testapp, field, value):
    app = manager(make_user, testapp)
    form = app.get("/lending/customers/new").forms["deform"]
    form["name"], form["role"], form["id_number"] = "Ana Ruiz", "borrower", "AR-9"
    form[field] = value
    before = _count(mutuo_db, Customer)
    res = form.submit("create", status=400)
    assert "Too long" in res.text or "control characters" in res.text
    assert _count(mutuo_db, Customer) == before


def test_nan_rate_on_an_application_is_a_field_error(mutuo_db, data, make_user, testapp):
    app = manager(make_user, testapp)
    form = app.get(f"/lending/applications/new?customer_id={data['customer']}").forms["deform"]
    from plugins.lending.models import Application

    form["product_version_id"] = str(mutuo_db.transaction(lambda s: s.get(Application, data["draft"]).product_version_id))
    form["amount"], form["term_months"], form["annual_rate"] = "6,000.00", "12", "NaN"
    res = form.submit("create", status=400)
    assert "is not a percentage" in res.text, [e.text for e in res.html.select(".invalid-feedback, .alert")]


@pytest.mark.parametrize("query", ["customer_id=%C2%B2", f"customer_id={10**20}", "customer_id=%00"])
def test_odd_prefill_ids_show_the_form(data, make_user, testapp, query):
    manager(make_user, testapp).get("/lending/applications/new?" + query, status=200)


@pytest.mark.parametrize("query", ["loan=%C2%B2", f"loan={10**20}", "from=9999-12-31", "to=0001-01-01",
                                   "reference=a%00b", f"page={10**20}"])
def test_odd_repayment_filters_answer_with_the_list(data, make_user, testapp, query):
    res = manager(make_user, testapp).get("/lending/repayments?" + query, status=200)
    assert "found" in res.text


@pytest.mark.parametrize("path", [f"/lending/loans/{10**20}", f"/lending/loans/{2**31}", "/lending/loans/%C2%B2", "/lending/customers/%00",
                                  f"/api/v1/lending/loans/{10**20}"])
def test_odd_ids_in_urls_are_not_found(make_user, testapp, path):
    manager(make_user, testapp).get(path, status=404)


@pytest.mark.parametrize("query", [f"limit={10**20}", "limit=10%C2%B2%E2%81%B0", "limit=-1", "limit=1e3",
                                   f"customer_id={2**31}", "customer_id=%C2%B2", "region=a%00b", "cursor=%00"])
def test_api_answers_odd_query_parameters_with_json(data, make_user, testapp, query):
    res = manager(make_user, testapp).get("/api/v1/lending/loans?" + query, expect_errors=True)
    assert res.status_int in (200, 422), res.status
    if res.status_int == 422:
        assert res.content_type == "application/problem+json" and res.json["errors"]
    else:
        assert res.content_type == "application/json"


@pytest.mark.parametrize("body, field", [
    ({"amount": "100.00", "paid_on": 20250530, "reference": "J-1"}, "paid_on"),
    ({"amount": "100.00", "paid_on": "9999-12-31", "reference": "J-1"}, "paid_on"),
    ({"amount": "1,50", "reference": "J-1"}, "amount"),
    ({"amount": 1e30, "reference": "J-1"}, "amount"),
    ({"amount": ["1"], "reference": "J-1"}, "amount"),
    ({"amount": "NaN", "reference": "J-1"}, "amount"),
    ({"amount": "100.00", "reference": "R" * 101}, "reference"),
    ({"amount": "100.00", "reference": "a\x00b"}, "reference"),
])
def test_api_answers_odd_bodies_with_422(mutuo_db, data, make_user, testapp, body, field):
    app = manager(make_user, testapp)
    before = _count(mutuo_db, Repayment)
    body = {"paid_on": "2025-05-30", **body}
    res = app.post_json(f"/api/v1/lending/loans/{data['loan']}/repayments", body, status=422,
                        headers={"X-CSRF-Token": csrf_token(app)})
    assert res.content_type == "application/problem+json"
    assert field in {e["field"] for e in res.json["errors"]} and res.json["detail"]
    assert _count(mutuo_db, Repayment) == before
