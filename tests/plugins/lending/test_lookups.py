"""Lending's lookups: borrowers and investors by name, ID, phone or number; products a new application may use."""
from decimal import Decimal as D

from core.testing import login
from plugins.lending import services

from .test_views import build  # noqa: F401  (fixture)


def test_borrower_investor_and_product_lookups(build, make_user, testapp):
    def make(world, session):
        borrower = services.update_customer(session, world.customer(role="borrower", phone="+34 600 111 222"),
                                            name="Ana Álvarez")
        investor = services.update_customer(session, world.investor(cash=D("100.00")), name="Ana Inversora")
        version = world.product()
        return borrower.id, borrower.id_number, investor.id, version.product.code

    borrower_id, id_number, investor_id, code = build(make)
    login(testapp, *make_user(roles=("loan_officer",)))

    def found(name, q):
        return [r["id"] for r in testapp.get(f"/lookup/lending.{name}", {"q": q}).json["results"]]

    assert found("borrower", "ana") == [borrower_id]  # investors are not borrowers
    assert found("investor", "ANA") == [investor_id]
    assert sorted(found("customer", "ana")) == sorted([borrower_id, investor_id])
    assert found("borrower", id_number) == [borrower_id] and found("borrower", "600 111") == [borrower_id]
    assert found("customer", str(investor_id))[0] == investor_id  # the customer number ranks first
    product = testapp.get("/lookup/lending.product", {"q": code.lower()}).json["results"]
    assert [p["label"].split()[0] for p in product] == [code] and "months" in product[0]["detail"]
