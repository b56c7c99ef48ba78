"""How the web answers a refusal: 409 Conflict when the record's state refuses it, 400 for a bad field."""

import webtest
from sqlalchemy import func, select

from core.testing import csrf_token
from plugins.lending.models import CashEntry, Repayment

from .test_views import _today, build, data, manager  # noqa: F401  (fixtures)


def test_api_repayment_over_the_payoff_is_409_and_bad_fields_are_422(mutuo_db, data, build):
    from core.accounts import create_user
    from core.apikeys import create_api_key

    def key(world, session):
        user = create_user(session, "api-bot", None, roles=("operations_manager",))
        return create_api_key(session, user, "bank feed", mutuo_db.registry["mutuo.security"],
                              scope=("lending.loan.view", "lending.repayment.view", "lending.repayment.post"))[1]

    token = build(key)
    api = webtest.TestApp(mutuo_db.app, extra_environ={"HTTP_AUTHORIZATION": f"Bearer {token}"})
    url = f"/api/v1/lending/loans/{data['loan']}/repayments"
    over = api.post_json(url, {"amount": "999999.00", "paid_on": "2025-05-30", "reference": "API-OVER"},
                         status=409).json
    assert over["errors"][0]["field"] == "amount" and "can take at most" in over["detail"]
    future = api.post_json(url, {"amount": "10.00", "paid_on": "2025-06-02", "reference": "API-FUTURE"},
                           status=422).json
    assert future["errors"][0]["field"] == "paid_on" and "in the future" in future["detail"]
    huge = api.post_json(url, {"amount": "9999999999999999.99", "paid_on": "2025-05-30", "reference": "API-HUGE"},
                         status=422).json
    assert huge["errors"][0]["field"] == "amount" and "at most 1,000,000,000.00" in huge["detail"]
    with mutuo_db.session_factory() as s:
        assert s.scalar(select(func.count()).select_from(Repayment).where(Repayment.reference.like("API-%"))) == 0


def test_workflow_button_refused_by_state_answers_409_json(data, make_user, testapp):
    app = manager(make_user, testapp)
    token = csrf_token(app)
    res = app.post(f"/lending/applications/{data['draft']}/approve", {"csrf_token": token},
                   headers={"Accept": "application/json"}, status=409)
    assert res.json == {"error": f"Only submitted applications can be approved; application {data['draft']} "
                                 f"is draft.", "field": "status"}
    # A browser still gets the flash and the redirect.
    page = app.post(f"/lending/applications/{data['draft']}/approve", {"csrf_token": token}).follow()
    assert "Only submitted applications can be approved" in page.text


def test_cash_form_errors_land_on_their_field_and_write_nothing(mutuo_db, data, make_user, testapp):
    app = manager(make_user, testapp)
    with mutuo_db.session_factory() as s:
        before = s.scalar(select(func.count()).select_from(CashEntry))
    form = app.get(f"/lending/customers/{data['investor']}/cash/deposit").forms["deform"]
    form["amount"], form["entry_date"] = "100.00", "2025-06-02"
    res = form.submit("deposit", status=400)
    assert "in the future" in res.html.find(class_="item-entry_date").text
    form = res.forms["deform"]
    form["amount"], form["entry_date"] = "9999999999999999.99", ""
    res = form.submit("deposit", status=400)
    assert "at most 1,000,000,000.00" in res.html.find(class_="item-amount").text
    form = app.get(f"/lending/customers/{data['investor']}/cash/withdrawal").forms["deform"]
    form["amount"] = "99999999.00"
    res = form.submit("withdrawal", status=409)
    assert "available" in res.html.find(class_="item-amount").text
    with mutuo_db.session_factory() as s:
        assert s.scalar(select(func.count()).select_from(CashEntry)) == before
