"""Product pages through the authorization matrix, forms with field errors, list and CSV, calculator."""
import csv
import io
from decimal import Decimal as D

import pytest

from core.testing import csrf_token
from plugins.products import services
from plugins.products.testing import TERMS

VIEW = ("core.dashboard.view", "products.view")
MANAGE = VIEW + ("products.manage",)
CALC = "/products/calculator?amount=10000.00&term_months=12&rate=12&method=equal_installment&first_due_date=2025-01-31"


@pytest.fixture
def product_ids(mutuo_db):
    """A draft (id 1) and an active product with two versions (id 2)."""
    def make(session):
        draft = services.create_product(session, code="DRAFT-1", name="Draft loan", **TERMS)
        active = services.create_product(session, code="CASH-12", name="Cash loan", **TERMS)
        services.activate(session, active)
        services.update_product(session, active, default_rate=D("0.10"))
        return {"draft": draft.id, "active": active.id, "version": active.versions[0].id}

    return mutuo_db.transaction(make)


def pages(ids):
    """(method, url, permission needed)."""
    return [
        ("GET", "/products", "products.view"),
        ("GET", "/products?format=csv", "products.view"),
        ("GET", f"/products/{ids['active']}", "products.view"),
        ("GET", f"/products/versions/{ids['version']}", "products.view"),
        ("GET", "/products/calculator", "products.view"),
        ("GET", CALC, "products.view"),
        ("GET", "/products/new", "products.manage"),
        ("GET", f"/products/{ids['draft']}/edit", "products.manage"),
        ("POST", f"/products/{ids['draft']}/activate", "products.manage"),
        ("POST", f"/products/{ids['active']}/retire", "products.manage"),
    ]


def request(app, method, url, **kw):
    if method == "GET":
        return app.get(url, **kw)
    return app.post(url, {"csrf_token": csrf_token(app)}, **kw)


def test_anonymous_is_sent_to_login(testapp, product_ids):
    for method, url, _perm in pages(product_ids):
        if method == "GET":
            res = testapp.get(url, status=302)
            assert "/login" in res.location, url
        else:  # no session, no CSRF token: refused before anything happens
            testapp.post(url, status=(302, 400))


def test_lacking_the_permission_is_403(logged_in, product_ids):
    app = logged_in(permissions=("core.dashboard.view",))
    for method, url, perm in pages(product_ids):
        res = request(app, method, url, status=403)
        assert perm in res.text, url


def test_viewers_cannot_manage(logged_in, product_ids):
    app = logged_in(permissions=VIEW)
    for method, url, perm in pages(product_ids):
        request(app, method, url, status=403 if perm == "products.manage" else 200)


def test_managers_can_do_everything(logged_in, product_ids):
    app = logged_in(permissions=MANAGE)
    for method, url, _perm in pages(product_ids):
        request(app, method, url, status=302 if method == "POST" else 200)


def test_product_manager_role_holds_both(logged_in, product_ids):
    app = logged_in(permissions=(), roles=("product_manager",))
    app.get("/products/new", status=200)
    app.get("/", status=200)


def test_workflow_posts_need_the_csrf_token(logged_in, product_ids):
    app = logged_in(permissions=MANAGE)
    app.post(f"/products/{product_ids['draft']}/activate", {}, status=400)


def test_list_filters_sorts_and_shows_current_terms(logged_in, product_ids):
    app = logged_in(permissions=VIEW)
    page = app.get("/products")
    codes = [a.text for a in page.html.select("table.listing tbody td:first-child a")]
    assert codes == ["CASH-12", "DRAFT-1"]
    assert "10.00%" in page.text  # the active product's current version (v2)
    assert [a.text for a in app.get("/products?sort=-code").html.select("table.listing tbody td:first-child a")] == [
        "DRAFT-1", "CASH-12"]
    assert "1 found" in app.get("/products?status=draft").text
    assert "2 found" in app.get("/products?method=equal_installment").text
    assert "0 found" in app.get("/products?method=bullet").text
    assert "1 found" in app.get("/products?q=cash").text


def test_list_csv_export(logged_in, product_ids):
    app = logged_in(permissions=VIEW)
    res = app.get("/products?format=csv&status=active")
    assert res.content_type == "text/csv"
    assert 'filename="products.csv"' in res.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(res.text)))
    assert rows[0][:4] == ["Code", "Name", "Status", "Method"]
    assert [r[0] for r in rows[1:]] == ["CASH-12"]
    assert rows[1][8] == "2"  # version


def test_product_page(logged_in, product_ids):
    app = logged_in(permissions=MANAGE)
    page = app.get(f"/products/{product_ids['active']}")
    assert page.html.select_one(".product-status").text == "active"
    assert page.html.select_one("#retire-product") and not page.html.select_one("#activate-product")
    assert page.html.select_one(".term-default_rate").text == "10.00%"
    assert [a.text for a in page.html.select("#versions td:first-child a")] == ["v2", "v1"]
    assert "Default rate: 12.00% → 10.00%" in page.html.select_one("#versions").text
    assert page.html.select_one("#history") is not None
    link = page.html.select_one("#open-calculator")["href"]
    assert "rate=10" in link and "method=equal_installment" in link and "amount=1000.00" in link
    assert "12" in app.get(link).html.select_one("#term_months")["value"]


def test_viewers_see_no_workflow_buttons(logged_in, product_ids):
    page = logged_in(permissions=VIEW).get(f"/products/{product_ids['draft']}")
    assert not page.html.select_one("#activate-product") and not page.html.select_one("#edit-product")


def test_version_page(logged_in, product_ids):
    page = logged_in(permissions=VIEW).get(f"/products/versions/{product_ids['version']}")
    assert "superseded" in page.text and page.html.select_one(".term-default_rate").text == "12.00%"


def test_missing_records_are_404(logged_in, product_ids):
    app = logged_in(permissions=MANAGE)
    app.get("/products/999", status=404)
    app.get("/products/versions/999", status=404)
    app.get("/products/999/edit", status=404)


def fill(form, **values):
    defaults = {"code": "NEW-1", "name": "New loan", "min_amount": "1000", "max_amount": "20000",
                "min_rate": "8", "default_rate": "12", "max_rate": "20"}
    for name, value in {**defaults, **values}.items():
        form[name] = value
    return form


def field_error(page, field):
    item = page.html.select_one(f".item-{field}")
    error = item.select_one(".invalid-feedback") if item else None
    return error.text.strip() if error else None


def test_create_form(logged_in, mutuo_db):
    app = logged_in(permissions=MANAGE)
    res = fill(app.get("/products/new").forms["deform"], penalty_daily_rate="0.05").submit("create", status=302)
    page = res.follow()
    assert "created as a draft" in page.text
    with mutuo_db.session_factory() as session:
        version = services.selectable_versions(session)  # drafts are not selectable
        assert version == []
        from plugins.products.models import LoanProduct
        product = session.query(LoanProduct).one()
        assert product.current_version.default_rate == D("0.12")  # 12 (%) stored as 0.12
        assert product.current_version.penalty_daily_rate == D("0.0005")


@pytest.mark.parametrize("values, field, message", [
    ({"max_amount": "500"}, "max_amount", "The maximum amount must be at least the minimum amount (1,000.00)."),
    ({"default_rate": "25"}, "default_rate", "The default rate must lie between the minimum (8%) and the maximum rate (20%)."),
    ({"max_rate": "120"}, "max_rate", "The maximum rate is at most 100%."),
    ({"code": "a b"}, "code", "A code has up to 32 letters, digits, dots, dashes or underscores, starting with a letter or digit."),
    ({"investment_increment": "0"}, "investment_increment", "The investment increment must be more than zero, like 1.00."),
    ({"min_amount": "abc"}, "min_amount", "'abc' is not an amount; write it like 1,234.50."),
])
def test_create_form_errors_are_on_the_field(logged_in, mutuo_db, values, field, message):
    app = logged_in(permissions=MANAGE)
    res = fill(app.get("/products/new").forms["deform"], **values).submit("create", status=400)
    assert field_error(res, field) == message
    with mutuo_db.session_factory() as session:
        from plugins.products.models import LoanProduct
        assert session.query(LoanProduct).count() == 0  # nothing half-written


def test_editing_an_active_product_makes_a_version(logged_in, product_ids, mutuo_db):
    app = logged_in(permissions=MANAGE)
    form = app.get(f"/products/{product_ids['active']}/edit").forms["deform"]
    assert "code" not in form.fields  # an offered product keeps its code
    assert form["default_rate"].value == "10"
    form["max_term_months"] = "48"
    page = form.submit("save", status=302).follow()
    assert "saved as version 3" in page.text
    assert page.html.select_one(".term-max_term_months").text == "48 months"


def test_activate_and_retire_buttons(logged_in, product_ids):
    app = logged_in(permissions=MANAGE)
    forms = app.get(f"/products/{product_ids['draft']}").forms.values()
    page = next(f for f in forms if f.action.endswith("/activate")).submit().follow()  # the Activate button
    assert "is active" in page.text and page.html.select_one(".product-status").text == "active"
    page = app.post(f"/products/{product_ids['draft']}/retire", {"csrf_token": csrf_token(app)}).follow()
    assert page.html.select_one(".product-status").text == "retired"
    page = app.post(f"/products/{product_ids['draft']}/retire", {"csrf_token": csrf_token(app)}).follow()
    assert "is already retired" in page.text
    assert app.get(f"/products/{product_ids['draft']}/edit").follow().html.select_one(".alert-warning")


def test_calculator_shows_the_schedule(logged_in):
    page = logged_in(permissions=VIEW).get(CALC)
    rows = page.html.select("#schedule tbody tr")
    assert len(rows) == 12
    assert [td.text for td in rows[0].select("td")] == ["1", "Jan 31, 2025", "788.49", "100.00", "888.49", "9,211.51"]
    assert [td.text for td in rows[-1].select("td")] == ["12", "Dec 31, 2025", "879.67", "8.80", "888.47", "0.00"]
    assert page.html.select_one("#total-interest").text == "661.86"
    assert page.html.select_one("#total-repaid").text == "10,661.86"
    assert page.html.select_one("#apr").text.startswith("12.0")


def test_calculator_empty_form_has_defaults(logged_in):
    page = logged_in(permissions=VIEW).get("/products/calculator")
    assert page.html.select_one("#amount")["value"] == "10000.00" and not page.html.select_one("#schedule")


@pytest.mark.parametrize("query, field, message", [
    ("amount=abc", "amount", "'abc' is not an amount; write it like 1,234.50."),
    ("amount=0", "amount", "The amount must be more than zero."),
    ("term_months=601", "term_months", "The term is from 1 to 600 months."),
    ("rate=150", "rate", "The rate is from 0 to 100% a year."),
    ("method=balloon", "method", "\"balloon\" is not one of equal_installment, equal_principal, interest_first, bullet"),
    ("first_due_date=31/01/2025", "first_due_date", "'31/01/2025' is not a date; write it like 2026-03-31."),
    ("first_due_date=9999-12-31", "first_due_date", "Use a date between 1900-01-01 and 2199-12-31."),
    ("rate=NaN", "rate", "'NaN' is not a percentage; write it like 12.5."),
    ("amount=1e30", "amount", "'1e30' is not an amount; write it like 1,234.50."),
    ("fee_rate=100", "fee_rate", "The origination fee is from 0 to less than 100% of the amount."),
])
def test_calculator_errors_are_on_the_field(logged_in, query, field, message):
    base = dict(p.split("=") for p in CALC.split("?")[1].split("&"))
    key, value = query.split("=")
    url = "/products/calculator?" + "&".join(f"{k}={v}" for k, v in {**base, key: value}.items())
    page = logged_in(permissions=VIEW).get(url, status=400)
    feedback = page.html.select_one(f"#{field} ~ .invalid-feedback")
    assert feedback is not None and feedback.text.strip() == message
    assert not page.html.select_one("#schedule")


def test_calculator_csv(logged_in):
    app = logged_in(permissions=VIEW)
    page = app.get(CALC)
    res = app.get(page.html.select_one("#schedule-csv")["href"])
    assert res.content_type == "text/csv"
    rows = list(csv.reader(io.StringIO(res.text)))
    assert rows[0] == ["Number", "Due date", "Principal", "Interest", "Total", "Remaining principal"]
    assert rows[1] == ["1", "2025-01-31", "788.49", "100.00", "888.49", "9211.51"]
    assert rows[12] == ["12", "2025-12-31", "879.67", "8.80", "888.47", "0.00"]
    assert rows[13] == ["Total", "", "10000.00", "661.86", "10661.86", ""]


def test_dashboard_widget(logged_in, mutuo_db):
    from plugins.products.demo import load

    mutuo_db.transaction(lambda s: load(s, 1))
    page = logged_in(permissions=VIEW).get("/")
    widget = [w for w in page.html.select(".widget") if "Loan products" in w.text][0]
    assert widget.select_one("svg[role=img]") is not None
    assert "<script" not in str(widget) and "style=" not in str(widget)
    assert [td.text for td in widget.select("td")][:2] == ["Active", "4"]


def test_no_dashboard_widget_without_the_permission(logged_in):
    page = logged_in(permissions=("core.dashboard.view",)).get("/")
    assert "Loan products" not in page.text


def test_menu_entries(logged_in):
    page = logged_in(permissions=VIEW).get("/")
    links = {a.text: a["href"] for a in page.html.select(".dropdown-item")}
    assert links["Products"].endswith("/products") and links["Calculator"].endswith("/products/calculator")
