"""Promotion pages through the permissions: the form with field errors, the record page, the usage chart."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from core.testing import csrf_token
from plugins.marketing.models import Promotion

TODAY = date(2025, 3, 10)


@pytest.fixture(autouse=True)
def _today(clock):
    clock.day = TODAY


def test_a_manager_creates_a_promotion_and_sees_it_used_on_a_loan(login_as, mutuo_db, world, session):
    app = login_as("marketing_manager")
    form = app.get("/marketing/promotions/new").forms["deform"]
    form["code"], form["name"], form["rate"] = "spring50", "Spring half fee", "50"
    form["valid_from"], form["valid_to"] = "2025-03-01", "2025-02-01"
    refused = form.submit("create", status=400)
    assert "cannot end before it starts" in refused.text
    form = refused.forms["deform"]
    form["valid_to"] = "2025-03-31"
    form["global_limit"] = "10"
    page = form.submit("create").follow()
    assert "SPRING50" in page.text and "50.0" in page.text
    promotion_id = mutuo_db.transaction(lambda s: s.scalar(select(Promotion.id).where(Promotion.code == "SPRING50")))
    loan = world.loan(disbursed_on=date(2025, 3, 31))
    session.commit()
    page = app.get(f"/marketing/promotions/{promotion_id}")
    assert f"/lending/loans/{loan.id}" in page.text and "100.00" in page.text  # half of the 200.00 fee
    assert "SPRING50" in app.get("/marketing/promotions").text
    customer_page = app.get(f"/lending/customers/{loan.customer_id}")
    assert "Promotions used" in customer_page.text and "SPRING50" in customer_page.text
    report = app.get("/marketing/report?from=2025-03-01&to=2025-03-31")
    assert 'id="promotion-usage"' in report.text and "SPRING50" in report.text
    edit = app.get(f"/marketing/promotions/{promotion_id}/edit").forms["deform"]
    edit["name"] = "Spring: half the fee"
    assert "Spring: half the fee" in edit.submit("save").follow().text


def _promotion(mutuo_db):
    def build(s):
        from plugins.marketing.services import promotions

        return promotions.create_promotion(s, code="X1", name="X", valid_from=date(2025, 1, 1),
                                           valid_to=date(2025, 12, 31), rate=None, amount=20).id

    return mutuo_db.transaction(build)


def test_promotion_pages_need_their_permissions(logged_in, mutuo_db):
    promotion_id = _promotion(mutuo_db)
    app = logged_in(permissions=("core.dashboard.view",))
    for path in ("/marketing/promotions", f"/marketing/promotions/{promotion_id}", "/marketing/promotions/new"):
        app.get(path, status=403)


def test_a_specialist_sees_promotions_but_does_not_change_them(login_as, mutuo_db):
    promotion_id = _promotion(mutuo_db)
    specialist = login_as("marketing_specialist")
    page = specialist.get(f"/marketing/promotions/{promotion_id}")
    assert "/edit" not in page.text
    specialist.get("/marketing/promotions/new", status=403)
    specialist.post(f"/marketing/promotions/{promotion_id}/edit", {"csrf_token": csrf_token(specialist), "save": ""},
                    status=403)
