"""Product pages: list, record page, version page, create/edit forms, workflow buttons."""
from __future__ import annotations

from pyramid.httpexceptions import HTTPFound
from pyramid.view import view_config
from sqlalchemy import or_

from core.errors import UserError
from core.security import get_visible_or_404, restricted_query
from core.web import helpers as h
from core.web.forms import make_form, page, process
from core.web.listing import Column, Filter, Listing, render_listing
from core.web.record import record_panels
from core.web.shell import flash
from plugins.products import forms, services
from plugins.products.models import STATUSES, TERM_FIELDS, LoanProduct, ProductVersion
from plugins.products.schedule import METHOD_SHORT, METHOD_TITLES


def _product_url(request, row) -> str:
    return request.route_url("products.product", id=row[0].id)  # rows are (product, current version)


@view_config(route_name="products.list", renderer="plugins.products:templates/products.pt",
             permission="products.view", request_method="GET")
def products(request):
    stmt = (restricted_query(request, LoanProduct).add_columns(ProductVersion)
            .join(ProductVersion, ProductVersion.product_id == LoanProduct.id)
            .where(ProductVersion.id.in_(services.current_version_ids())))

    def search(s, q):
        like = f"%{q}%"
        return s.where(or_(LoanProduct.code.ilike(like), LoanProduct.name.ilike(like)))

    listing = Listing(
        request, stmt,
        columns=[
            Column("code", "Code", LoanProduct.code, value=lambda r: r[0].code, link=_product_url),
            Column("name", "Name", LoanProduct.name, value=lambda r: r[0].name),
            Column("status", "Status", LoanProduct.status, value=lambda r: r[0].status),
            Column("method", "Method", ProductVersion.repayment_method,
                   value=lambda r: METHOD_SHORT[r[1].repayment_method]),
            Column("rate", "Default rate", ProductVersion.default_rate, value=lambda r: h.percent(r[1].default_rate),
                   css="money"),
            Column("rates", "Rate range", value=lambda r: f"{h.percent(r[1].min_rate)} – {h.percent(r[1].max_rate)}"),
            Column("amount", "Amounts", ProductVersion.max_amount,
                   value=lambda r: f"{h.money(r[1].min_amount)} – {h.money(r[1].max_amount)}"),
            Column("term", "Months", ProductVersion.max_term_months,
                   value=lambda r: f"{r[1].min_term_months} – {r[1].max_term_months}"),
            Column("version", "Version", ProductVersion.number, value=lambda r: r[1].number, css="money"),
            Column("created", "Created", LoanProduct.created_at, value=lambda r: h.when(r[0].created_at.date())),
        ],
        filters=[
            Filter("q", "Search", search),
            Filter("status", "Status", lambda s, v: s.where(LoanProduct.status == v), tuple((x, x) for x in STATUSES)),
            Filter("method", "Repayment method", lambda s, v: s.where(ProductVersion.repayment_method == v),
                   tuple(METHOD_TITLES.items())),
        ],
        default_sort="code", export_name="products",
    )
    return render_listing(listing, title="Loan products")


@view_config(route_name="products.product", renderer="plugins.products:templates/product.pt",
             permission="products.view", request_method="GET")
def product_page(request):
    product = get_visible_or_404(request, LoanProduct, request.matchdict["id"])
    version = product.current_version
    return {
        "title": f"{product.code} {product.name}", "product": product, "version": version,
        "terms": term_rows(version), "history": version_history(product),
        "calculator_url": request.route_url("products.calculator", _query=services.calculator_params(version)),
        "can_manage": request.has_permission("products.manage"),
        "panels": record_panels(request, product, can_edit=request.has_permission("products.manage")),
    }


@view_config(route_name="products.version", renderer="plugins.products:templates/version.pt",
             permission="products.view", request_method="GET")
def version_page(request):
    version = get_visible_or_404(request, ProductVersion, request.matchdict["id"])
    get_visible_or_404(request, LoanProduct, version.product_id)  # the product's rules apply to its versions
    product = version.product
    return {
        "title": f"{product.code} version {version.number}", "product": product, "version": version,
        "terms": term_rows(version), "current": product.current_version is version,
        "calculator_url": request.route_url("products.calculator", _query=services.calculator_params(version)),
        "panels": record_panels(request, version, can_edit=request.has_permission("products.manage")),
    }


@view_config(route_name="products.new", renderer="core:web/templates/form_page.pt", permission="products.manage")
def product_new(request):
    form = make_form(request, forms.product_schema(), buttons=("create",))

    def create(data):
        product = services.create_product(request.dbsession, **forms.to_service(data))
        flash(request, f"Product {product.code} created as a draft. Activate it to offer it.")
        return request.route_url("products.product", id=product.id)

    return page("New loan product", process(request, form, create, forms.appstruct()),
                intro="Rates are percentages: 12 means 12 % a year.")


@view_config(route_name="products.edit", renderer="core:web/templates/form_page.pt", permission="products.manage")
def product_edit(request):
    product = get_visible_or_404(request, LoanProduct, request.matchdict["id"])
    if product.status == "retired":
        flash(request, f"Product {product.code} is retired; its terms can no longer change.", "warning")
        return HTTPFound(request.route_url("products.product", id=product.id))
    form = make_form(request, forms.product_schema(product), buttons=("save",))

    def save(data):
        before = product.current_version.number
        services.update_product(request.dbsession, product, **forms.to_service(data))
        after = product.current_version.number
        flash(request, f"Product {product.code} saved" + (f" as version {after}." if after != before else "."))
        return request.route_url("products.product", id=product.id)

    intro = ("This product is active: changed terms become a new version; loans made under earlier versions "
             "keep theirs." if product.status == "active" else "A draft is edited in place.")
    return page(f"Edit {product.code}", process(request, form, save, forms.appstruct(product)), intro=intro)


@view_config(route_name="products.activate", permission="products.manage", request_method="POST")
def product_activate(request):
    return _workflow(request, services.activate, "is active: new applications may choose it.")


@view_config(route_name="products.retire", permission="products.manage", request_method="POST")
def product_retire(request):
    return _workflow(request, services.retire, "is retired: new applications can no longer choose it.")


def _workflow(request, action, done: str):
    product = get_visible_or_404(request, LoanProduct, request.matchdict["id"])
    try:
        action(request.dbsession, product)
    except UserError as exc:
        flash(request, str(exc), "danger")
    else:
        flash(request, f"Product {product.code} {done}")
    return HTTPFound(request.route_url("products.product", id=product.id))


# -- presentation ----------------------------------------------------------------

TERM_LABELS = {
    "min_amount": "Minimum amount", "max_amount": "Maximum amount", "min_term_months": "Minimum term",
    "max_term_months": "Maximum term", "default_rate": "Default rate", "min_rate": "Minimum rate",
    "max_rate": "Maximum rate", "repayment_method": "Repayment method", "day_count": "Day count",
    "origination_fee_rate": "Origination fee", "penalty_daily_rate": "Late penalty a day",
    "grace_days": "Grace period", "service_fee_rate": "Investor service fee", "min_investment": "Minimum investment",
    "investment_increment": "Investment increment", "funding_window_days": "Funding window",
    "allocation_order": "Allocation order",
}


def show_term(name: str, value) -> str:
    if name.endswith("_rate"):
        return h.percent(value, 4 if name == "penalty_daily_rate" else 2)
    if name.endswith(("_amount", "_investment", "_increment")):
        return h.money(value)
    if name.endswith("_months"):
        return f"{value} months"
    if name.endswith("_days"):
        return f"{value} days"
    if name == "repayment_method":
        return METHOD_TITLES.get(value, value)
    if name == "allocation_order":
        return " → ".join(value.split(","))
    return str(value)


def term_rows(version: ProductVersion) -> list[tuple[str, str, str]]:
    """(field, label, shown value) for every term of ``version``."""
    return [(name, TERM_LABELS[name], show_term(name, getattr(version, name))) for name in TERM_FIELDS]


def version_history(product: LoanProduct) -> list[dict]:
    """Versions newest first, each with what changed from the one before."""
    out = []
    previous = None
    for version in product.versions:
        changes = [] if previous is None else [
            f"{TERM_LABELS[n]}: {show_term(n, getattr(previous, n))} → {show_term(n, getattr(version, n))}"
            for n in TERM_FIELDS if getattr(previous, n) != getattr(version, n)]
        out.append({"version": version, "changes": changes})
        previous = version
    return out[::-1]

