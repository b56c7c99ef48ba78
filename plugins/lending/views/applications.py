"""Applications: list, create, edit, detail with workflow buttons, invest; the funding board."""
from __future__ import annotations

import colander
import deform
from pyramid.view import view_config
from sqlalchemy import String, cast, func, select
from sqlalchemy.orm import contains_eager, joinedload

from core.errors import UserError
from core.formatting import current
from core.security import get_visible_or_404, restricted_query
from core.web import parsing
from core.web.forms import CSRFSchema, make_form, page, process, run_action
from core.web.listing import LIST_PAGE, Column, Filter, Listing, render_listing
from core.web.lookups import LookupWidget
from core.web.record import record_panels
from core.web.shell import flash
from plugins.lending.i18n import _, choices
from plugins.lending.models import APPLICATION_STATUSES, Application, Customer, Investment
from plugins.lending.search import APPLICATIONS
from plugins.lending.services import applications as service
from plugins.lending.services import loans
from plugins.lending.views.common import (
    TEMPLATES,
    Cells,
    buttons,
    money_node,
    parse_amount,
    parse_date,
    percent_to_rate,
    rate_as_typed,
)
from plugins.products.models import LoanProduct, ProductVersion


def application_url(request, application) -> str:
    return request.route_url("lending.application", id=application.id)


class ApplicationSchema(CSRFSchema):
    customer_id = colander.SchemaNode(parsing.Id(parsing.int_bound(Customer.id)), title=_("Borrower"),
                                      widget=LookupWidget(lookup="lending.borrower"))
    product_version_id = colander.SchemaNode(colander.String(), title=_("Product"),
                                             widget=LookupWidget(lookup="lending.product"))
    amount = money_node(_("Amount"))
    term_months = colander.SchemaNode(parsing.WholeNumber(1, 1200), title=_("Term (months)"))
    annual_rate = colander.SchemaNode(colander.String(), title=_("Annual rate (%)"), missing="",
                                      description=_("Blank: the product's default rate."))
    purpose = colander.SchemaNode(colander.String(), title=_("Purpose"), missing="",
                                  widget=deform.widget.TextAreaWidget(rows=2))
    region = colander.SchemaNode(colander.String(), title=_("Region"), missing="",
                                 description=_("Blank: the borrower's."),
                                 validator=parsing.column_text(Application.region))
    industry = colander.SchemaNode(colander.String(), title=_("Industry"), missing="",
                                   description=_("Blank: the borrower's."),
                                   validator=parsing.column_text(Application.industry))


class InvestSchema(CSRFSchema):
    investor_id = colander.SchemaNode(parsing.Id(parsing.int_bound(Customer.id)), title=_("Investor"),
                                      widget=LookupWidget(lookup="lending.investor"))
    amount = money_node(_("Amount"))


def _borrower(session, customer_id) -> Customer:
    customer = session.get(Customer, customer_id) if customer_id else None
    if customer is None:
        raise UserError(_("There is no customer ${id}; open the borrower's page and start from there.",
                          mapping={"id": customer_id}), "customer_id")
    return customer


def _fields(data) -> dict:
    return {"product_version_id": data["product_version_id"], "amount": parse_amount(data["amount"]),
            "term_months": data["term_months"], "annual_rate": percent_to_rate(data["annual_rate"]),
            "purpose": data["purpose"], "region": data["region"] or None, "industry": data["industry"] or None}


@view_config(route_name="lending.applications", renderer=LIST_PAGE, permission="lending.application.view")
def applications(request):
    cells = Cells(request)
    # The page's rows carry their customer (joined) and product label: no query per row shown.
    label = (LoanProduct.code + " v" + cast(ProductVersion.number, String)).label("product_label")
    stmt = (restricted_query(request, Application).join(Customer).join(
        ProductVersion, ProductVersion.id == Application.product_version_id).join(LoanProduct)
        .options(contains_eager(Application.customer)).add_columns(label))
    listing = Listing(request, stmt, columns=[
        Column("id", "#", Application.id, value=lambda r: r[0].id, link=lambda req, r: application_url(req, r[0])),
        Column("borrower", _("Borrower"), Customer.name, value=lambda r: r[0].customer.name,
               link=lambda req, r: req.route_url("lending.customer", id=r[0].customer_id)),
        Column("product", _("Product"), LoanProduct.code, value=lambda r: r.product_label),
        Column("amount", _("Amount"), Application.amount, value=lambda r: r[0].amount, kind="money", css="money"),
        Column("term_months", _("Term"), Application.term_months, value=lambda r: cells.months(r[0].term_months)),
        Column("annual_rate", _("Rate"), Application.annual_rate, value=lambda r: r[0].annual_rate, kind="percent"),
        Column("status", _("Status"), Application.status, value=lambda r: r[0].status, kind="label",
               domain="lending"),
        Column("region", _("Region"), Application.region, value=lambda r: r[0].region),
        Column("industry", _("Industry"), Application.industry, value=lambda r: r[0].industry),
        Column("created_at", _("Created"), Application.created_at, value=lambda r: r[0].created_at, kind="date"),
    ], filters=[
        APPLICATIONS.filter(_("Borrower")),
        Filter("status", _("Status"), lambda s, v: s.where(Application.status == v), choices(APPLICATION_STATUSES)),
        Filter("product", _("Product code"), lambda s, v: s.where(LoanProduct.code == v)),
        Filter("region", _("Region"), lambda s, v: s.where(Application.region == v)),
        Filter("industry", _("Industry"), lambda s, v: s.where(Application.industry == v)),
    ], default_sort="-id", export_name="applications")
    actions = [(_("New application"), request.route_url("lending.application_new"))] \
        if request.has_permission("lending.application.manage") else []
    return render_listing(listing, title=_("Loan applications"), actions=actions)


@view_config(route_name="lending.application_new", renderer="core:web/templates/form_page.pt",
             permission="lending.application.manage")
def application_new(request):
    form = make_form(request, ApplicationSchema(), buttons=buttons("create"))

    def create(data):
        borrower = _borrower(request.dbsession, data["customer_id"])
        application = service.create_application(request.dbsession, customer=borrower, **_fields(data))
        flash(request, _("Application ${id} saved as a draft; submit it when it is complete.",
                         mapping={"id": application.id}))
        return application_url(request, application)

    start = {}
    if request.params.get("customer_id"):
        try:
            start["customer_id"] = parsing.parse_id(request.params["customer_id"], "customer_id")
        except parsing.InputError:
            pass  # a prefill only: the form shows the field empty
    return page(_("New loan application"), process(request, form, create, start))


@view_config(route_name="lending.application_edit", renderer="core:web/templates/form_page.pt",
             permission="lending.application.manage")
def application_edit(request):
    application = get_visible_or_404(request, Application, request.matchdict["id"])
    schema = ApplicationSchema()
    del schema["customer_id"]
    form = make_form(request, schema, buttons=buttons("save"))

    def save(data):
        service.update_application(request.dbsession, application, **_fields(data))
        flash(request, _("Application ${id} saved.", mapping={"id": application.id}))
        return application_url(request, application)

    appstruct = {"product_version_id": str(application.product_version_id), "amount": application.amount,
                 "term_months": str(application.term_months),
                 "annual_rate": rate_as_typed(application.annual_rate), "purpose": application.purpose,
                 "region": application.region, "industry": application.industry}
    if not service.allowed(application, "edit"):
        flash(request, _("Only draft applications can be edited; application ${id} is ${status}.",
                         mapping={"id": application.id, "status": current().label(application.status, "lending")}),
              "warning")
    return page(_("Edit application ${id}", mapping={"id": application.id}), process(request, form, save, appstruct))


@view_config(route_name="lending.application", renderer=TEMPLATES + "application.pt",
             permission="lending.application.view")
def application_page(request):
    # The borrower, the loan, the product and the investors in the statements that load their owners: the
    # history panel's reader loads customers too but keeps only their labels, so they would be read again.
    application = get_visible_or_404(request, Application, request.matchdict["id"],
                                     options=(joinedload(Application.customer), joinedload(Application.loan)))
    session = request.dbsession
    funded = service.funded_amount(session, application.id)
    version = session.get(ProductVersion, application.product_version_id, options=[joinedload(ProductVersion.product)])
    return {"title": _("Application ${id}", mapping={"id": application.id}), "a": application, "version": version, "funded": funded,
            "remaining": application.amount - funded, "can": lambda action: _can(request, application, action),
            "investments": session.scalars(select(Investment).where(Investment.application_id == application.id)
                                           .options(joinedload(Investment.investor))
                                           .order_by(Investment.id)).all(),
            "panels": record_panels(request, application,
                                    can_edit=request.has_permission("lending.application.manage"))}


ACTION_PERMISSIONS = {"submit": "lending.application.manage", "approve": "lending.application.approve",
                      "reject": "lending.application.approve", "list": "lending.application.manage",
                      "cancel": "lending.application.manage", "disburse": "lending.loan.disburse",
                      "invest": "lending.investment.manage", "edit": "lending.application.manage"}


def _can(request, application, action) -> bool:
    if not service.allowed(application, action) or not request.has_permission(ACTION_PERMISSIONS[action]):
        return False
    return not (action in ("approve", "reject") and application.review_pending)


def application_action(request):
    """POST /applications/{id}/{action}: one workflow button (registered per action with its permission)."""
    application = get_visible_or_404(request, Application, request.matchdict["id"])
    action = request.matchdict["action"]
    session = request.dbsession
    reason = request.POST.get("reason", "")
    back = application_url(request, application)
    if action == "disburse":
        def disburse():
            when = parse_date(request.POST.get("disbursed_on"), "disbursed_on")
            loan = loans.disburse(session, application, when)
            fmt = current()
            flash(request, _("Loan ${id} disbursed: ${payout} paid out after an origination fee of ${fee}.",
                             mapping={"id": loan.id, "payout": fmt.money(loan.payout),
                                      "fee": fmt.money(loan.origination_fee)}))
            return request.route_url("lending.loan", id=loan.id)
        return run_action(request, disburse, None, back)
    calls = {
        "submit": lambda: service.submit(session, application),
        "approve": lambda: service.approve(session, application, reason),
        "reject": lambda: service.reject(session, application, reason),
        "list": lambda: service.list_for_funding(session, application),
        "cancel": lambda: service.cancel(session, application, reason),
    }

    def message(_result):
        if action == "submit" and application.review_pending:
            return _("Application ${id} submitted; waiting for review by ${reviewers}.",
                     mapping={"id": application.id, "reviewers": application.review_pending})
        return _("Application ${id} is now ${status}.",
                 mapping={"id": application.id, "status": current().label(application.status, "lending")})

    return run_action(request, calls[action], message, back)


def add_action_views(config) -> None:
    for action in ("submit", "approve", "reject", "list", "cancel", "disburse"):
        config.add_view(application_action, route_name="lending.application_action", request_method="POST",
                        match_param=f"action={action}", permission=ACTION_PERMISSIONS[action])


@view_config(route_name="lending.application_invest", renderer="core:web/templates/form_page.pt",
             permission="lending.investment.manage")
def application_invest(request):
    application = get_visible_or_404(request, Application, request.matchdict["id"])
    form = make_form(request, InvestSchema(), buttons=buttons("invest"))

    def invest(data):
        investor = request.dbsession.get(Customer, data["investor_id"])
        if investor is None:
            raise UserError(_("There is no customer ${id}.", mapping={"id": data["investor_id"]}), "investor_id")
        investment = service.invest(request.dbsession, application, investor, parse_amount(data["amount"]))
        values = {"amount": current().money(investment.amount), "name": investor.name, "id": application.id}
        flash(request, _("${amount} of ${name} reserved for application ${id} — fully funded.", mapping=values)
              if application.status == "funded"
              else _("${amount} of ${name} reserved for application ${id}.", mapping=values))
        return application_url(request, application)

    left = service.remaining(request.dbsession, application)
    version = request.dbsession.get(ProductVersion, application.product_version_id)
    fmt = current()
    intro = _("Application ${id}: ${left} of ${amount} remains. Minimum ${minimum}, in steps of ${step}.",
              mapping={"id": application.id, "left": fmt.money(left), "amount": fmt.money(application.amount),
                       "minimum": fmt.money(version.min_investment), "step": fmt.money(version.investment_increment)})
    return page(_("Invest in application ${id}", mapping={"id": application.id}), process(request, form, invest), intro=intro)


@view_config(route_name="lending.funding", renderer=LIST_PAGE, permission="lending.investment.view")
def funding_board(request):
    funded = (select(func.coalesce(func.sum(Investment.amount), 0))
              .where(Investment.application_id == Application.id, Investment.status.in_(("reserved", "spent")))
              .correlate(Application).scalar_subquery().label("funded"))
    stmt = restricted_query(request, Application, Application.status == "listed").join(Customer).add_columns(funded)
    cells = Cells(request)
    listing = Listing(request, stmt, columns=[
        Column("id", "#", Application.id, value=lambda r: r[0].id,
               link=lambda req, r: application_url(req, r[0])),
        Column("borrower", _("Borrower"), Customer.name, value=lambda r: r[0].customer.name),
        Column("amount", _("Amount"), Application.amount, value=lambda r: r[0].amount, kind="money", css="money"),
        Column("funded", _("Funded"), funded, value=lambda r: r[1], kind="money", css="money"),
        Column("remaining", _("Remaining"), Application.amount - funded, value=lambda r: r[0].amount - r[1], kind="money",
               css="money"),
        Column("progress", _("Progress"), None, value=lambda r: cells.percent(r[1] / r[0].amount, 0)),
        Column("rate", _("Rate"), Application.annual_rate, value=lambda r: r[0].annual_rate, kind="percent"),
        Column("term", _("Term"), Application.term_months, value=lambda r: cells.months(r[0].term_months)),
        Column("deadline", _("Funding closes"), Application.funding_deadline, value=lambda r: r[0].funding_deadline, kind="date"),
        Column("region", _("Region"), Application.region, value=lambda r: r[0].region),
        Column("industry", _("Industry"), Application.industry, value=lambda r: r[0].industry),
    ] + ([Column("invest", "", None, value=lambda r: _("Invest"),
                 link=lambda req, r: req.route_url("lending.application_invest", id=r[0].id))]
         if request.has_permission("lending.investment.manage") else []), filters=[
        Filter("region", _("Region"), lambda s, v: s.where(Application.region == v)),
        Filter("industry", _("Industry"), lambda s, v: s.where(Application.industry == v)),
    ], default_sort="deadline", export_name="funding-board")
    return render_listing(listing, title=_("Funding board"),
                          intro=_("Listed applications open for investment, the soonest to close first."))
