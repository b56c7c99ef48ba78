"""A Spanish-speaking user reads products in Spanish, with Spanish figures and dates, and types the Spanish way."""
import csv
import io
from datetime import date
from decimal import Decimal as D

import pytest

from core.errors import UserError
from core.i18n import in_locale, localizer_for, translate
from core.testing import csrf_token
from plugins.products import services
from plugins.products.testing import TERMS

VIEW = ("core.dashboard.view", "products.view")
MANAGE = VIEW + ("products.manage",)
CALC = "/products/calculator?amount={amount}&term_months=12&rate={rate}&method=equal_installment&first_due_date={due}"


@pytest.fixture
def spanish(logged_in):
    """A user whose language is Spanish (the account's choice, whatever the browser says)."""
    def log_in(permissions=MANAGE):
        return logged_in(permissions=permissions, locale="es")
    return log_in


@pytest.fixture
def product_ids(mutuo_db):
    """A draft (DRAFT-1) and an active product (CASH-12) whose second version lowered the rate to 10.5 %."""
    def make(session):
        draft = services.create_product(session, code="DRAFT-1", name="Draft loan", **TERMS)
        active = services.create_product(session, code="CASH-12", name="Cash loan", **TERMS)
        services.activate(session, active)
        services.update_product(session, active, default_rate=D("0.105"))
        return {"draft": draft.id, "active": active.id, "version": active.versions[0].id}

    return mutuo_db.transaction(make)


def texts(page, selector):
    return [words(e.text) for e in page.html.select(selector)]


def words(text: str) -> str:
    """Text with its spaces made plain (Spanish writes ``10,50\xa0%``; deform's messages lose the no-break space)."""
    return " ".join(text.split())


def test_the_product_list_in_spanish(spanish, product_ids):
    page = spanish().get("/products", headers={"Accept-Language": "en"})
    assert page.html.html["lang"] == "es"
    assert page.html.select_one("h1").text == "Productos de préstamo"
    assert [t.rstrip(" ▲") for t in texts(page, "table.listing thead th")][:5] == [
        "Código", "Nombre", "Estado", "Método", "Tasa por defecto"]
    cash = texts(page, "table.listing tbody tr")[0]
    for shown in ("CASH-12", "activo", "Cuota fija", "10,50 %", "8,00 % – 24,00 %", "1.000,00 – 50.000,00"):
        assert shown in cash
    assert texts(page, "#f-status option")[1:] == ["borrador", "activo", "retirado"]
    assert "Cuotas iguales (cuota fija)" in texts(page, "#f-method option")
    for english in ("Loan products", "Default rate", "Annuity", "Repayment method", "New product"):
        assert english not in page.text


def test_the_list_csv_keeps_plain_words_and_figures(spanish, product_ids):
    rows = list(csv.reader(io.StringIO(spanish().get("/products?format=csv&status=active").text)))
    cash = rows[1]
    assert cash[:5] == ["CASH-12", "Cash loan", "active", "Annuity", "0.105000"]  # the stored fraction, as the API
    assert cash[6] == "1,000.00 – 50,000.00"


def test_a_product_page_in_spanish(spanish, product_ids):
    app = spanish()
    page = app.get(f"/products/{product_ids['active']}")
    assert page.html.select_one(".product-status").text == "activo"
    assert page.html.select_one("title").text.startswith("CASH-12 Cash loan")
    assert page.html.select_one(".term-default_rate").text == "10,50\xa0%"
    assert page.html.select_one(".term-min_amount").text == "1.000,00"
    assert page.html.select_one(".term-max_term_months").text == "36 meses"
    assert page.html.select_one(".term-grace_days").text == "0 días"
    assert page.html.select_one(".term-repayment_method").text == "Cuotas iguales (cuota fija)"
    assert page.html.select_one(".term-allocation_order").text == "penalización → comisión → interés → capital"
    assert "Tasa por defecto: 12,00 % → 10,50 %" in words(page.html.select_one("#versions").text)
    assert page.html.select_one("#edit-product").text == "Editar"
    assert page.html.select_one("#retire-product").text.strip() == "Retirar"
    assert page.html.select_one("#retire-product")["data-confirm"].startswith("¿Retirar CASH-12?")
    assert "Condiciones vigentes · versión 2" in page.text and "primera versión" in page.text
    for english in ("Open in calculator", "Current terms", "Minimum amount", " months", "first version", ">Retire"):
        assert english not in page.text

    link = page.html.select_one("#open-calculator")
    assert link.text == "Abrir en la calculadora"
    assert "amount=1000%2C00" in link["href"] and "rate=10%2C5" in link["href"]  # typed the Spanish way
    calculator = app.get(link["href"])  # … and read back as such
    assert calculator.html.select_one("#schedule") is not None
    assert calculator.html.select_one("#total-principal").text == "1.000,00"


def test_a_version_page_in_spanish(spanish, product_ids):
    page = spanish(VIEW).get(f"/products/versions/{product_ids['version']}")
    heading = " ".join(page.html.select_one("h1").text.split())
    assert heading == "CASH-12 · versión 1 sustituida"
    assert page.html.select_one(".term-default_rate").text == "12,00\xa0%"
    assert "Los préstamos concedidos con esta versión conservan estas condiciones." in page.text


def test_the_calculator_reads_and_shows_spanish(spanish):
    app = spanish(VIEW)
    empty = app.get("/products/calculator")
    assert empty.html.select_one("h1").text == "Calculadora del calendario de pagos"
    assert empty.html.select_one("#amount")["value"] == "10000,00"
    due = empty.html.select_one("#first_due_date")
    assert due["type"] == "text" and due["placeholder"] == "dd/mm/aaaa"
    assert date.fromisoformat("-".join(reversed(due["value"].split("/"))))  # dd/mm/yyyy

    page = app.get(CALC.format(amount="10.000,50", rate="12,5", due="31/03/2026"))
    rows = page.html.select("#schedule tbody tr")
    assert len(rows) == 12
    first = [td.text for td in rows[0].select("td")]
    assert first[:2] == ["1", "31 mar 2026"] and first[2].count(",") == 1 and "." not in first[2].split(",")[1]
    assert [td.text for td in rows[1].select("td")][1] == "30 abr 2026"
    assert page.html.select_one("#total-principal").text == "10.000,50"
    assert page.html.select_one("#apr").text.endswith("\xa0%")
    assert texts(page, "#schedule thead th") == ["#", "Vencimiento", "Capital", "Interés", "Total", "Capital pendiente"]
    assert texts(page, "#totals dt")[:4] == ["Capital", "Interés", "Total a pagar", "TAE"]
    for english in ("Schedule calculator", "Due date", "Principal", "Total repaid", "Calculate", "Export CSV"):
        assert english not in page.text

    res = app.get(page.html.select_one("#schedule-csv")["href"])
    rows = list(csv.reader(io.StringIO(res.text)))
    assert rows[0] == ["Número", "Vencimiento", "Capital", "Interés", "Total", "Capital pendiente"]
    assert rows[1][1] == "2026-03-31" and "." in rows[1][2] and "," not in rows[1][2]  # figures stay plain
    assert rows[-1][0] == "Total" and rows[-1][2] == "10000.50"


@pytest.mark.parametrize("query, field, message", [
    ("amount=0", "amount", "El importe debe ser mayor que cero."),
    ("term_months=601", "term_months", "El plazo va de 1 a 600 meses."),
    ("rate=150", "rate", "La tasa va de 0 a 100\xa0% anual."),
    ("fee_rate=100", "fee_rate", "La comisión de apertura va de 0 a menos del 100\xa0% del importe."),
])
def test_calculator_errors_in_spanish(spanish, query, field, message):
    base = {"amount": "10.000,00", "term_months": "12", "rate": "12", "method": "equal_installment",
            "first_due_date": "31/03/2026"}
    key, value = query.split("=")
    page = spanish(VIEW).get("/products/calculator", {**base, key: value}, status=400)
    assert words(page.html.select_one(f"#{field} ~ .invalid-feedback").text) == words(message)
    assert not page.html.select_one("#schedule")


def test_an_amount_written_the_english_way_is_refused(spanish):
    page = spanish(VIEW).get("/products/calculator", {"amount": "10,000.50", "term_months": "12", "rate": "12",
                                                      "method": "bullet", "first_due_date": "31/03/2026"}, status=400)
    assert page.html.select_one("#amount.is-invalid") is not None


def test_the_product_form_in_spanish(spanish, mutuo_db):
    app = spanish()
    page = app.get("/products/new")
    assert page.html.select_one("h1").text == "Nuevo producto de préstamo"
    labels = [label.removesuffix("*") for label in texts(page, "form#deform label")]  # a required field's mark
    assert "Importe mínimo" in labels and "Tasa por defecto (% anual)" in labels
    assert page.html.select_one("button[name=create]").text.strip() == "Crear"
    assert "penalización → comisión → interés → capital" in texts(page, "select[name=allocation_order] option")
    form = page.forms["deform"]
    assert form["penalty_daily_rate"].value == "0,05" and form["min_investment"].value == "50,00"

    values = {"code": "NEW-1", "name": "Nuevo", "min_amount": "10.000,50", "max_amount": "5.000",
              "min_rate": "8", "default_rate": "12,5", "max_rate": "20"}
    for name, value in values.items():
        form[name] = value
    page = form.submit("create", status=400)  # the maximum is below the minimum: a service's refusal
    error = page.html.select_one(".item-max_amount .invalid-feedback").text.strip()
    assert error == "El importe máximo debe ser al menos el importe mínimo (10.000,50)."
    form = page.forms["deform"]
    assert form["default_rate"].value == "12,5"  # shown again as typed, so it is read back
    form["max_amount"] = "20.000,00"
    page = form.submit("create", status=302).follow()
    assert "Producto NEW-1 creado como borrador. Actívelo para ofrecerlo." in page.text
    assert page.html.select_one(".term-min_amount").text == "10.000,50"
    with mutuo_db.session_factory() as session:
        from plugins.products.models import LoanProduct
        version = session.query(LoanProduct).one().current_version
        assert (version.min_amount, version.max_amount, version.default_rate) == (
            D("10000.50"), D("20000.00"), D("0.125"))


def test_a_field_the_form_cannot_read_is_refused_on_it(spanish, mutuo_db):
    form = spanish().get("/products/new").forms["deform"]
    for name, value in {"code": "NEW-1", "name": "Nuevo", "min_amount": "1.000", "max_amount": "20.000",
                        "min_rate": "8", "default_rate": "25", "max_rate": "20"}.items():
        form[name] = value
    page = form.submit("create", status=400)
    assert words(page.html.select_one(".item-default_rate .invalid-feedback").text) == (
        "La tasa por defecto debe estar entre la tasa mínima (8 %) y la máxima (20 %).")
    assert "Corrija estos campos:" in page.text  # the error summary at the top


def test_editing_in_spanish(spanish, product_ids):
    app = spanish()
    form = app.get(f"/products/{product_ids['active']}/edit").forms["deform"]
    assert form["default_rate"].value == "10,5" and form["min_amount"].value == "1000,00"
    form["max_term_months"] = "48"
    page = form.submit("save", status=302).follow()
    assert "Producto CASH-12 guardado como versión 3." in page.text
    assert page.html.select_one(".term-max_term_months").text == "48 meses"


def test_workflow_messages_in_spanish(spanish, product_ids):
    app = spanish()
    url = f"/products/{product_ids['draft']}"
    page = app.post(url + "/activate", {"csrf_token": csrf_token(app)}).follow()
    assert "El producto DRAFT-1 está activo: las nuevas solicitudes pueden elegirlo." in page.text
    page = app.post(url + "/activate", {"csrf_token": csrf_token(app)}).follow()
    assert "El producto DRAFT-1 ya está activo." in page.text
    app.post(url + "/retire", {"csrf_token": csrf_token(app)})
    page = app.get(url + "/edit").follow()
    assert "El producto DRAFT-1 está retirado; sus condiciones ya no pueden cambiar." in page.text


def test_dashboard_and_menu_in_spanish(spanish, mutuo_db):
    from plugins.products.demo import load

    mutuo_db.transaction(lambda s: load(s, 1))
    page = spanish(VIEW).get("/")
    widget = [w for w in page.html.select(".widget") if "Productos de préstamo" in w.text][0]
    assert [td.text for td in widget.select("td")][:2] == ["Activos", "4"]
    assert widget.select_one("svg")["aria-label"] == "Productos activos por método de amortización"
    assert "Cuota fija" in widget.select_one("svg").text
    links = {a.text: a["href"] for a in page.html.select(".dropdown-item")}
    assert links["Productos"].endswith("/products") and links["Calculadora"].endswith("/products/calculator")


def test_refusals_keep_english_text_and_translate_with_local_figures(mutuo_db):
    from plugins.products.testing import active_product

    def refuse(session):
        version = active_product(session, code="CASH-12")
        with pytest.raises(UserError) as english:
            services.check_terms(version, D("999.99"), 12)
        with in_locale("es"), pytest.raises(UserError) as spanish:
            services.check_terms(version, D("999.99"), 12)
        return english.value, spanish.value

    english, spanish = mutuo_db.transaction(refuse)
    assert str(english) == "The amount must be between 1,000.00 and 50,000.00 for CASH-12 (version 1)."
    assert translate(spanish, localizer_for("es")) == (
        "El importe debe estar entre 1.000,00 y 50.000,00 para CASH-12 (versión 1).")


def test_demo_products_in_the_language_they_are_loaded_in(mutuo_db):
    from plugins.products.demo import load
    from plugins.products.models import LoanProduct

    def run(session):
        with in_locale("es"):
            summary = load(session, 2)
        return summary, {p.code: p.name for p in session.query(LoanProduct)}

    summary, names = mutuo_db.transaction(run)
    assert summary == "6 productos"
    assert names["CASH-12"] == "Préstamo personal" and names["SME-24-X2"] == "Préstamo para pymes (piloto 2)"


def test_demo_summary_in_english_by_default(mutuo_db):
    from plugins.products.demo import load

    assert mutuo_db.transaction(lambda s: load(s, 1)) == "4 products"
