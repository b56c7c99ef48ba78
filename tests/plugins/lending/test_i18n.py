"""Lending in Spanish (issue 13): a user whose language is Spanish reads every lending screen in Spanish, with
Spanish numbers and dates, types amounts and dates the Spanish way, and reads refusals in Spanish; the CSV
and the JSON API stay locale-independent."""
import re
from datetime import date
from decimal import Decimal as D

import pytest
import webtest

from core.testing import csrf_token, login
from plugins.lending import services
from plugins.lending.models import CashEntry, Loan

from .test_views import _today, build  # noqa: F401  (fixtures: today and committed builders)

TODAY = date(2025, 6, 1)


@pytest.fixture
def data(build):
    def make(world, session):
        loan = world.loan(disbursed_on=date(2025, 1, 15))
        services.post_repayment(session, loan, D("500.00"), date(2025, 2, 15), "WEB-1")
        listed = world.listed(listed_on=TODAY)
        investor = loan.holdings[0].investor
        return {"loan": loan.id, "customer": loan.customer_id, "investor": investor.id, "listed": listed.id}
    return build(make)


@pytest.fixture
def spanish(make_user, testapp):
    """A web client logged in as an operations manager whose language is Spanish."""
    login(testapp, *make_user(roles=("operations_manager",), locale="es"))
    return testapp


def _text(page) -> str:
    """The page's visible text (scripts and styles aside), whitespace collapsed."""
    for tag in page.html(["script", "style"]):
        tag.decompose()
    for panel in page.html.select("#history, #documents"):  # core's panels (field names, file names)
        panel.decompose()
    return " ".join(page.html.get_text(" ").split())


def test_the_customer_list_in_spanish(data, spanish):
    page = spanish.get("/lending/customers")
    assert page.html.html["lang"] == "es"
    assert page.html.h1.get_text(strip=True) == "Clientes"
    headers = [th.get_text(strip=True) for th in page.html.select("table.listing th")]
    assert {"Nombre", "Rol", "Tipo", "Número de identificación", "Región", "Sector"} <= set(headers)
    cells = {td.get_text(strip=True) for td in page.html.select("table.listing td")}
    assert {"prestatario", "inversor", "persona", "verificada"} <= cells
    assert not {"borrower", "investor", "person", "verified"} & cells
    labels = {label.get_text(strip=True) for label in page.html.select("form label")}
    assert {"Buscar", "Rol", "KYC", "Región"} <= labels
    options = {o.get_text(strip=True) for o in page.html.select("select[name=role] option")}
    assert {"prestatario", "inversor", "ambos"} <= options
    assert "Nuevo cliente" in _text(page)


def test_a_customer_page_in_spanish(data, spanish):
    text = _text(spanish.get(f"/lending/customers/{data['customer']}"))
    for words in ("KYC verificada", "Tipo", "Teléfono", "Nueva solicitud", "Préstamos", "Capital", "Días de atraso",
                  "1 documento archivado", "activo", "al día"):
        assert words in text, words
    for english in ("Kind", "Phone", "New application", "Days past due", "document(s) on file", "Outstanding"):
        assert english not in text, english
    investor = spanish.get(f"/lending/customers/{data['investor']}")
    text = _text(investor)
    assert "Cuenta de caja" in text and "Saldo" in text and "Depósito" in text and "Extracto" in text
    balance = investor.html.find(id="cash-balance").get_text(strip=True)
    assert re.fullmatch(r"[0-9]{1,3}(\.[0-9]{3})*,[0-9]{2}", balance), balance  # 95.247,50: Spanish separators
    dates = {row.td.get_text(strip=True) for row in investor.html.select("#cash-account .table-responsive tr")
             if row.td is not None}
    assert "1 ene 2025" in dates  # the deposit's date in Spanish words


def test_an_application_page_in_spanish(data, spanish):
    page = spanish.get(f"/lending/applications/{data['listed']}")
    text = _text(page)
    assert page.html.find(id="application-status").get_text(strip=True) == "publicada"
    for words in (f"Solicitud {data['listed']}", "Prestatario", "Importe", "10.000,00", "12 meses", "12,00 %",
                  "Tasa anual", "Financiación: 0,00 de 10.000,00 (faltan 10.000,00)", "1 jun 2025",
                  "la financiación cierra el 15 jun 2025", "Aún no hay inversiones.", "Cancelar solicitud"):
        assert words in text, words
    for english in ("Borrower", "Amount", "months", "Funding:", "No investments yet", "Cancel application"):
        assert english not in text, english
    button = page.html.find(id="btn-cancel")
    assert button["data-confirm"] == "¿Cancelar esta solicitud? Se liberan las reservas."


def test_a_loan_page_in_spanish(data, spanish):
    page = spanish.get(f"/lending/loans/{data['loan']}")
    text = _text(page)
    assert page.html.find(id="loan-status").get_text(strip=True) == "activo"
    for words in (f"Préstamo {data['loan']}", "Calendario de pagos", "Capital pendiente", "Vencimiento",
                  "15 feb 2025", "10.000,00", "12,00 %", "12 meses", "Inversores y sus participaciones",
                  "Registrar un pago", "Castigar", "500,00"):
        assert words in text, words
    for english in ("Schedule", "Principal outstanding", "Post a repayment", "Write off", "months"):
        assert english not in text, english
    states = {td.get_text(strip=True) for td in page.html.select("#schedule td.installment-state")}
    assert states <= {"pagada", "vencida", "vence hoy", "pagada en parte", "próxima"}


def test_the_loan_list_in_spanish_and_its_csv_stays_plain(data, spanish):
    page = spanish.get("/lending/loans")
    cells = {td.get_text(strip=True) for td in page.html.select("table.listing td")}
    assert {"activo", "10.000,00", "12,00\xa0%", "15 ene 2025"} <= cells
    csv = spanish.get("/lending/loans?format=csv").text
    row = csv.splitlines()[1]
    assert "active" in row and "10000.00" in row and "0.120000" in row and "2025-01-15" in row


def test_a_deposit_typed_the_spanish_way(mutuo_db, data, spanish):
    form = spanish.get(f"/lending/customers/{data['investor']}/cash/deposit").forms["deform"]
    assert form["entry_date"].attrs.get("placeholder") == "dd/mm/aaaa"
    form["amount"], form["entry_date"], form["reference"] = "1.234,56", "31/05/2025", "TRF-ES-1"
    page = form.submit("deposit").follow()
    assert "Depósito de 1.234,56 registrado para" in _text(page)
    with mutuo_db.session_factory() as s:
        entry = s.query(CashEntry).filter_by(reference="TRF-ES-1").one()
        assert entry.amount == D("1234.56") and entry.entry_date == date(2025, 5, 31)


def test_a_repayment_typed_the_spanish_way(mutuo_db, data, spanish):
    form = spanish.get(f"/lending/loans/{data['loan']}/repay").forms["deform"]
    form["amount"], form["paid_on"], form["reference"] = "1.234,56", "01/06/2025", "BANCO-1"
    page = form.submit("post").follow()
    assert "Pago BANCO-1 de 1.234,56 registrado en el préstamo" in _text(page)
    with mutuo_db.session_factory() as s:
        repayment = s.get(Loan, data["loan"]).repayments[-1]
        assert repayment.reference == "BANCO-1" and repayment.amount == D("1234.56")
        assert repayment.paid_on == date(2025, 6, 1)
    # The same reference again: the refusal is in Spanish, its date as the user types it.
    form = spanish.get(f"/lending/loans/{data['loan']}/repay").forms["deform"]
    form["amount"], form["paid_on"], form["reference"] = "10,00", "01/06/2025", "BANCO-1"
    res = form.submit("post", status=409)
    assert "La referencia BANCO-1 ya se registró el 01/06/2025" in _text(res)


def test_an_english_amount_is_not_read_as_spanish(data, spanish):
    form = spanish.get(f"/lending/customers/{data['investor']}/cash/deposit").forms["deform"]
    form["amount"] = "1,234.56"
    form.submit("deposit", status=400)


def test_refusals_in_spanish(data, spanish):
    form = spanish.get(f"/lending/customers/{data['investor']}/cash/withdrawal").forms["deform"]
    form["amount"] = "1.000.000,00"
    res = form.submit("withdrawal", status=409)
    assert "solo tiene" in _text(res) and "disponibles" in _text(res)
    token = csrf_token(spanish)
    page = spanish.post(f"/lending/loans/{data['loan']}/write-off", {"csrf_token": token, "reason": ""}).follow()
    assert "Indique por qué se castiga el préstamo." in _text(page)
    page = spanish.post(f"/lending/applications/{data['listed']}/submit", {"csrf_token": token}).follow()
    assert (f"Solo se pueden enviar solicitudes en estado borrador; el estado de la solicitud {data['listed']} es: "
            "publicada.") in _text(page)


def test_the_statement_reads_spanish_dates(data, spanish):
    page = spanish.get(f"/lending/customers/{data['investor']}/statement",
                       {"start": "01/02/2025", "end": "31/12/2025"})
    assert not page.html.select(".alert-danger")
    assert page.html.find(id="start")["value"] == "01/02/2025"
    text = _text(page)
    assert "Saldo inicial" in text and "Movimientos" in text and "pago" in text
    assert f"Pago del préstamo {data['loan']}" in text and "repayment" not in text  # the services' memo, in Spanish


def test_the_dashboard_widgets_in_spanish(data, spanish):
    text = _text(spanish.get("/"))
    assert "Cartera de préstamos" in text and "Capital pendiente por tramo de mora" in spanish.get("/").text
    assert "Mora por tramo" in text and "1 préstamo" in text


def test_the_api_keeps_its_values_whatever_the_language(mutuo_db, data, build):
    from core.accounts import create_user
    from core.apikeys import create_api_key

    reg = mutuo_db.registry["mutuo.security"]
    token = build(lambda w, s: create_api_key(s, create_user(s, "api-es", None, roles=("operations_manager",),
                                                             locale="es"), "feed", reg,
                                              scope=("lending.loan.view", "lending.repayment.post"))[1])
    api = webtest.TestApp(mutuo_db.app, extra_environ={"HTTP_AUTHORIZATION": f"Bearer {token}",
                                                       "HTTP_ACCEPT_LANGUAGE": "es"})
    body = {"amount": "100.50", "paid_on": "2025-05-30", "reference": "API-ES-1"}
    created = api.post_json(f"/api/v1/lending/loans/{data['loan']}/repayments", body, status=201).json
    assert created["amount"] == "100.50" and created["paid_on"] == "2025-05-30"
    loan = api.get(f"/api/v1/lending/loans/{data['loan']}").json
    assert loan["status"] == "active" and loan["principal"] == "10000.00"
    refused = api.post_json(f"/api/v1/lending/loans/{data['loan']}/repayments", {**body, "amount": "0.00"},
                            status=409).json  # the reference first: already posted
    assert refused["errors"][0]["field"] == "reference" and "ya se registró" in refused["detail"]


PAGES = ["/lending/customers", "/lending/customers/new", "/lending/customers/{customer}",
         "/lending/customers/{investor}", "/lending/customers/{customer}/edit",
         "/lending/customers/{investor}/cash/deposit", "/lending/customers/{investor}/cash/withdrawal",
         "/lending/customers/{investor}/statement", "/lending/applications", "/lending/applications/new",
         "/lending/applications/{listed}", "/lending/applications/{listed}/invest", "/lending/funding",
         "/lending/loans", "/lending/loans/{loan}", "/lending/loans/{loan}/repay", "/lending/repayments",
         "/lending/repayments/new", "/lending/repayments/{repayment}", "/"]


def test_every_lending_page_renders_in_spanish_with_its_values_filled(build, data, spanish):
    repayment = build(lambda w, s: s.get(Loan, data["loan"]).repayments[0].id)
    for url in PAGES:
        page = spanish.get(url.format(**data, repayment=repayment))
        text = _text(page)
        assert "${" not in text, (url, text[text.index("${") - 80:text.index("${") + 80])
        assert page.html.html["lang"] == "es"
        for english in ("Amount", "Status", "Borrower", "Reference", "Principal", "Funding board", "Save", "Create"):
            assert english not in text, (url, english)


def test_a_draft_edited_in_spanish_keeps_its_amount_and_rate(mutuo_db, build, spanish):
    from plugins.lending.models import Application

    draft = build(lambda w, s: w.application(amount=D("12345.60"), annual_rate=D("0.125")).id)
    form = spanish.get(f"/lending/applications/{draft}/edit").forms["deform"]
    assert form["amount"].value == "12345,60" and form["annual_rate"].value == "12,5"
    form["amount"] = "12.500,00"
    form.submit("save").follow()
    with mutuo_db.session_factory() as s:
        application = s.get(Application, draft)
        assert application.amount == D("12500.00") and application.annual_rate == D("0.125")
