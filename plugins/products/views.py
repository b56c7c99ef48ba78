"""Product pages: list, record page, version page, create/edit forms, workflow buttons."""
from __future__ import annotations

from pyramid.httpexceptions import HTTPFound
from pyramid.view import view_config

from core.errors import UserError
from core.formatting import Formatter, current, for_request, formatter
from core.i18n import SOURCE_LOCALE
from core.security import get_visible_or_404, restricted_query
from core.web.forms import make_form, page, process
from core.web.listing import Column, Filter, Listing, render_listing
from core.web.record import record_panels
from core.web.shell import flash
from plugins.products import forms, services
from plugins.products.calculator import link_params
from plugins.products.i18n import _, _n
from plugins.products.models import STATUS_WORDS, STATUSES, TERM_FIELDS, LoanProduct, ProductVersion
from plugins.products.schedule import METHOD_SHORT, METHOD_TITLES


def _column(key, title, sort=None, *, value, kind: str | None = None, request=None, **kw) -> Column:
    """A list column; ``kind`` (money, percent, date) is formatted on the page and kept plain in the CSV."""
    return Column(key, title, sort, value=value, kind=kind, **kw)


def _listing_formatter(request) -> Formatter:
    """The page's formatter; the CSV export keeps the source language's figures, whoever asks."""
    if request.params.get("format") == "csv":
        return formatter(SOURCE_LOCALE, request.registry.settings.get("mutuo.timezone") or "UTC")
    return for_request(request)


def _product_url(request, row) -> str:
    return request.route_url("products.product", id=row[0].id)  # rows are (product, current version)


def _calculator_url(request, version: ProductVersion) -> str:
    return request.route_url("products.calculator",
                             _query=link_params(services.calculator_params(version), request.locale_name))


@view_config(route_name="products.list", renderer="plugins.products:templates/products.pt",
             permission="products.view", request_method="GET")
def products(request):
    fmt = _listing_formatter(request)
    stmt = (restricted_query(request, LoanProduct).add_columns(ProductVersion)
            .join(ProductVersion, ProductVersion.product_id == LoanProduct.id)
            .where(ProductVersion.id.in_(services.current_version_ids())))

    def between(low: str, high: str) -> str:
        return f"{low} – {high}"  # a range of figures, no words

    listing = Listing(
        request, stmt,
        columns=[
            Column("code", _("Code"), LoanProduct.code, value=lambda r: r[0].code, link=_product_url),
            Column("name", _("Name"), LoanProduct.name, value=lambda r: r[0].name),
            # Words (translation strings): the page shows them in the user's language, the CSV keeps the English.
            Column("status", _("Status"), LoanProduct.status, value=lambda r: STATUS_WORDS[r[0].status]),
            Column("method", _("Method"), ProductVersion.repayment_method,
                   value=lambda r: METHOD_SHORT[r[1].repayment_method]),
            _column("rate", _("Default rate"), ProductVersion.default_rate, value=lambda r: r[1].default_rate,
                    kind="percent", request=request, css="money"),
            Column("rates", _("Rate range"),
                   value=lambda r: between(fmt.percent(r[1].min_rate), fmt.percent(r[1].max_rate))),
            Column("amount", _("Amounts"), ProductVersion.max_amount,
                   value=lambda r: between(fmt.money(r[1].min_amount), fmt.money(r[1].max_amount))),
            Column("term", _("Months"), ProductVersion.max_term_months,
                   value=lambda r: between(fmt.number(r[1].min_term_months), fmt.number(r[1].max_term_months))),
            Column("version", _("Version"), ProductVersion.number, value=lambda r: r[1].number, css="money"),
            _column("created", _("Created"), LoanProduct.created_at, value=lambda r: r[0].created_at,
                    kind="date", request=request),
        ],
        filters=[
            services.PRODUCTS.filter(_("Search")),
            Filter("status", _("Status"), lambda s, v: s.where(LoanProduct.status == v),
                   tuple((x, STATUS_WORDS[x]) for x in STATUSES)),
            Filter("method", _("Repayment method"), lambda s, v: s.where(services.with_method(v)),
                   tuple(METHOD_TITLES.items())),
        ],
        default_sort="code", export_name="products",
    )
    return render_listing(listing, title=_("Loan products"))


@view_config(route_name="products.product", renderer="plugins.products:templates/product.pt",
             permission="products.view", request_method="GET")
def product_page(request):
    product = get_visible_or_404(request, LoanProduct, request.matchdict["id"])
    version = product.current_version
    return {
        "title": f"{product.code} {product.name}", "product": product, "version": version,
        "terms": term_rows(version), "history": version_history(product),
        "calculator_url": _calculator_url(request, version),
        "can_manage": request.has_permission("products.manage"),
        "confirm_activate": _("Activate ${code}? New applications may choose it.", mapping={"code": product.code}),
        "confirm_retire": _("Retire ${code}? New applications can no longer choose it; existing loans keep their "
                            "terms.", mapping={"code": product.code}),
        "panels": record_panels(request, product, can_edit=request.has_permission("products.manage")),
    }


@view_config(route_name="products.version", renderer="plugins.products:templates/version.pt",
             permission="products.view", request_method="GET")
def version_page(request):
    version = get_visible_or_404(request, ProductVersion, request.matchdict["id"])
    get_visible_or_404(request, LoanProduct, version.product_id)  # the product's rules apply to its versions
    product = version.product
    return {
        "title": _("${code} version ${number}", mapping={"code": product.code, "number": version.number}),
        "product": product, "version": version,
        "terms": term_rows(version), "current": product.current_version is version,
        "calculator_url": _calculator_url(request, version),
        "panels": record_panels(request, version, can_edit=request.has_permission("products.manage")),
    }


@view_config(route_name="products.new", renderer="core:web/templates/form_page.pt", permission="products.manage")
def product_new(request):
    form = make_form(request, forms.product_schema(), buttons=forms.buttons("create"))

    def create(data):
        product = services.create_product(request.dbsession, **forms.to_service(data))
        flash(request, _("Product ${code} created as a draft. Activate it to offer it.", mapping={"code": product.code}))
        return request.route_url("products.product", id=product.id)

    return page(_("New loan product"), process(request, form, create, forms.appstruct()),
                intro=_("Rates are percentages: 12 means 12 % a year."))


@view_config(route_name="products.edit", renderer="core:web/templates/form_page.pt", permission="products.manage")
def product_edit(request):
    product = get_visible_or_404(request, LoanProduct, request.matchdict["id"])
    if product.status == "retired":
        flash(request, _("Product ${code} is retired; its terms can no longer change.", mapping={"code": product.code}),
              "warning")
        return HTTPFound(request.route_url("products.product", id=product.id))
    form = make_form(request, forms.product_schema(product), buttons=forms.buttons("save"))

    def save(data):
        before = product.current_version.number
        services.update_product(request.dbsession, product, **forms.to_service(data))
        after = product.current_version.number
        if after != before:
            flash(request, _("Product ${code} saved as version ${number}.",
                             mapping={"code": product.code, "number": after}))
        else:
            flash(request, _("Product ${code} saved.", mapping={"code": product.code}))
        return request.route_url("products.product", id=product.id)

    intro = (_("This product is active: changed terms become a new version; loans made under earlier versions "
               "keep theirs.") if product.status == "active" else _("A draft is edited in place."))
    return page(_("Edit ${code}", mapping={"code": product.code}),
                process(request, form, save, forms.appstruct(product)), intro=intro)


@view_config(route_name="products.activate", permission="products.manage", request_method="POST")
def product_activate(request):
    return _workflow(request, services.activate,
                     lambda code: _("Product ${code} is active: new applications may choose it.",
                                    mapping={"code": code}))


@view_config(route_name="products.retire", permission="products.manage", request_method="POST")
def product_retire(request):
    return _workflow(request, services.retire,
                     lambda code: _("Product ${code} is retired: new applications can no longer choose it.",
                                    mapping={"code": code}))


def _workflow(request, action, done):
    product = get_visible_or_404(request, LoanProduct, request.matchdict["id"])
    try:
        action(request.dbsession, product)
    except UserError as exc:
        flash(request, exc, "danger")
    else:
        flash(request, done(product.code))
    return HTTPFound(request.route_url("products.product", id=product.id))


# -- presentation ----------------------------------------------------------------

TERM_LABELS = {
    "min_amount": _("Minimum amount"), "max_amount": _("Maximum amount"), "min_term_months": _("Minimum term"),
    "max_term_months": _("Maximum term"), "default_rate": _("Default rate"), "min_rate": _("Minimum rate"),
    "max_rate": _("Maximum rate"), "repayment_method": _("Repayment method"), "day_count": _("Day count"),
    "origination_fee_rate": _("Origination fee"), "penalty_daily_rate": _("Late penalty a day"),
    "grace_days": _("Grace period"), "service_fee_rate": _("Investor service fee"),
    "min_investment": _("Minimum investment"), "investment_increment": _("Investment increment"),
    "funding_window_days": _("Funding window"), "allocation_order": _("Allocation order"),
}


def show_term(name: str, value) -> str:
    """A term's value as the user reads it (in the language being served)."""
    fmt = current()
    if name.endswith("_rate"):
        return fmt.percent(value, 4 if name == "penalty_daily_rate" else 2)
    if name.endswith(("_amount", "_investment", "_increment")):
        return fmt.money(value)
    if name.endswith("_months"):
        return _n("${n} month", "${n} months", value)
    if name.endswith("_days"):
        return _n("${n} day", "${n} days", value)
    if name == "repayment_method":
        return fmt.translate(METHOD_TITLES[value]) if value in METHOD_TITLES else value
    if name == "allocation_order":
        return forms.allocation_label(value)
    if name == "day_count":
        return fmt.label(value, "products")
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
            _("${term}: ${before} → ${after}", mapping={"term": current().translate(TERM_LABELS[n]),
                                                      "before": show_term(n, getattr(previous, n)),
                                                      "after": show_term(n, getattr(version, n))})
            for n in TERM_FIELDS if getattr(previous, n) != getattr(version, n)]
        out.append({"version": version, "changes": changes})
        previous = version
    return out[::-1]
