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


def test_the_lookup_and_the_form_marks_speak_spanish(logged_in):
    app = logged_in(permissions=("core.dashboard.view", "lending.customer.view", "lending.application.manage"),
                    locale="es")
    page = app.get("/lending/applications/new")
    box = page.html.select_one(".mutuo-lookup")
    assert box["data-lookup-empty"] == "Sin coincidencias"
    assert box["data-lookup-failed"] == "La búsqueda falló; inténtelo de nuevo."
    assert box.select_one("[role=combobox]")["placeholder"] == "Escriba un nombre, número, teléfono o documento"
    assert "Campo obligatorio" in page.text
    refused = page.forms["deform"].submit("create", status=400)
    assert "Corrija estos campos:" in refused.html.select_one(".form-error-summary").text
