"""Loans (list, detail with schedule, investors, repayments), posting repayments, write-off."""
from __future__ import annotations

import colander
from pyramid.view import view_config
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from core import context
from core.errors import UserError
from core.formatting import current
from core.security import get_visible_or_404, restricted_query
from core.web import parsing
from core.web.forms import CSRFSchema, make_form, page, process, run_action
from core.web.listing import LIST_PAGE, Column, Filter, Listing, render_listing
from core.web.lookups import LookupWidget
from core.web.record import record_panels
from core.web.shell import flash
from plugins.lending.i18n import _, _n, choices
from plugins.lending.models import LOAN_STATUSES, CashEntry, Customer, Holding, Installment, Loan, Repayment
from plugins.lending.search import LOANS
from plugins.lending.services import loans as service
from plugins.lending.services.cob import last_closed
from plugins.lending.services.delinquency import bucket_names, buckets_from_settings
from plugins.lending.views.common import (
    TEMPLATES,
    buttons,
    date_node,
    money_node,
    parse_amount,
    parse_date,
)
from plugins.products.models import LoanProduct, ProductVersion


def loan_url(request, loan) -> str:
    return request.route_url("lending.loan", id=loan.id)


def outstanding_column():
    """SQL: the principal still owed on a loan (for lists, sorting and CSV)."""
    return (select(func.coalesce(func.sum(Installment.principal_due - Installment.principal_paid), 0))
            .where(Installment.loan_id == Loan.id).correlate(Loan).scalar_subquery().label("outstanding"))


class RepaymentSchema(CSRFSchema):
    amount = money_node(_("Amount received"))
    paid_on = date_node(_("Date received"), _("Blank: today."), missing="")
    reference = colander.SchemaNode(colander.String(), title=_("External reference"),
                                    description=_("The bank transfer id; a reference is posted only once."),
                                    validator=parsing.column_text(Repayment.reference))


class NewRepaymentSchema(RepaymentSchema):
    loan_id = colander.SchemaNode(parsing.Id(parsing.int_bound(Loan.id)), title=_("Loan"),
                                  widget=LookupWidget(lookup="lending.loan"), insert_before="amount")


@view_config(route_name="lending.loans", renderer=LIST_PAGE, permission="lending.loan.view")
def loans(request):
    # The query stays on lending_loan alone, so counting 100,000 loans needs no
    # joins: borrower and product are correlated lookups (evaluated per shown
    # row, or when sorting by them) and filters on them are EXISTS / IN.
    outstanding = outstanding_column()
    borrower = (select(Customer.name).where(Customer.id == Loan.customer_id).correlate(Loan)
                .scalar_subquery().label("borrower"))
    product_code = (select(LoanProduct.code).join(ProductVersion, ProductVersion.product_id == LoanProduct.id)
                    .where(ProductVersion.id == Loan.product_version_id).correlate(Loan)
                    .scalar_subquery().label("product_code"))
    stmt = restricted_query(request, Loan).add_columns(outstanding, product_code, borrower)
    buckets = bucket_names(buckets_from_settings(request.registry.settings or {}))

    def by_product(stmt, value):
        versions = select(ProductVersion.id).join(LoanProduct).where(LoanProduct.code == value)
        return stmt.where(Loan.product_version_id.in_(versions))

    listing = Listing(request, stmt, columns=[
        Column("id", "#", Loan.id, value=lambda r: r[0].id, link=lambda req, r: loan_url(req, r[0])),
        Column("borrower", _("Borrower"), borrower, value=lambda r: r[3]),
        Column("product", _("Product"), product_code, value=lambda r: r[2]),
        Column("principal", _("Principal"), Loan.principal, value=lambda r: r[0].principal, kind="money", css="money"),
        Column("outstanding", _("Outstanding"), outstanding, value=lambda r: r[1], kind="money", css="money"),
        Column("rate", _("Rate"), Loan.annual_rate, value=lambda r: r[0].annual_rate, kind="percent"),
        Column("disbursed_on", _("Disbursed"), Loan.disbursed_on, value=lambda r: r[0].disbursed_on, kind="date"),
        Column("days_past_due", _("Days past due"), Loan.days_past_due, value=lambda r: r[0].days_past_due),
        Column("bucket", _("Bucket"), Loan.bucket, value=lambda r: r[0].bucket, kind="label", domain="lending"),
        Column("status", _("Status"), Loan.status, value=lambda r: r[0].status, kind="label", domain="lending"),
        Column("region", _("Region"), Loan.region, value=lambda r: r[0].region),
        Column("industry", _("Industry"), Loan.industry, value=lambda r: r[0].industry),
    ], filters=[
        LOANS.filter(_("Borrower")),
        Filter("status", _("Status"), lambda s, v: s.where(Loan.status == v), choices(LOAN_STATUSES)),
        Filter("bucket", _("Bucket"), lambda s, v: s.where(Loan.bucket == v), choices(buckets)),
        Filter("product", _("Product code"), by_product),
        Filter("region", _("Region"), lambda s, v: s.where(Loan.region == v)),
        Filter("industry", _("Industry"), lambda s, v: s.where(Loan.industry == v)),
    ], default_sort="-id", export_name="loans")
    return render_listing(listing, title=_("Loans"))


@view_config(route_name="lending.loan", renderer=TEMPLATES + "loan.pt", permission="lending.loan.view")
def loan_page(request):
    # The borrower and the product in the statements that load the loan and its version (the history
    # panel's reader keeps only labels: a lazy load after it would read them again).
    loan = get_visible_or_404(request, Loan, request.matchdict["id"], options=(joinedload(Loan.customer),))
    today = context.today(request.dbsession)
    schedule = [(i, service.installment_state(i, today)) for i in loan.installments]
    version = request.dbsession.get(ProductVersion, loan.product_version_id, options=[joinedload(ProductVersion.product)])
    holdings = request.dbsession.scalars(select(Holding).where(Holding.loan_id == loan.id).order_by(Holding.id)
                                         .options(joinedload(Holding.investor))).all()  # not one query per investor
    closed = last_closed(request.dbsession)  # read once: the payoff needs it too
    return {"title": _("Loan ${id}", mapping={"id": loan.id}), "loan": loan, "version": version, "schedule": schedule,
            "today": today, "holdings": holdings,
            "outstanding": service.outstanding_principal(loan),
            "payoff": (service.payoff_amount(request.dbsession, loan, today, closed=closed)
                       if loan.status == "active" else None),
            "last_closed": closed,
            "panels": record_panels(request, loan, can_edit=request.has_permission("lending.loan.manage"))}


def _post(request, loan, data) -> str:
    paid_on = parse_date(data["paid_on"], "paid_on", context.today(request.dbsession))
    repayment = service.post_repayment(request.dbsession, loan, parse_amount(data["amount"]), paid_on,
                                       data["reference"])
    fmt = current()
    values = {"reference": repayment.reference, "amount": fmt.money(repayment.amount), "loan": loan.id,
              "distributed": fmt.money(repayment.distributed)}
    flash(request, _n("Repayment ${reference} of ${amount} posted to loan ${loan}; ${distributed} distributed to "
                      "${n} investor.", "Repayment ${reference} of ${amount} posted to loan ${loan}; ${distributed} "
                      "distributed to ${n} investors.", len(loan.holdings), mapping=values))
    if loan.status == "closed":
        flash(request, _("Loan ${id} is repaid and closed.", mapping={"id": loan.id}))
    return loan_url(request, loan)


@view_config(route_name="lending.loan_repay", renderer="core:web/templates/form_page.pt",
             permission="lending.repayment.post")
def loan_repay(request):
    loan = get_visible_or_404(request, Loan, request.matchdict["id"])
    form = make_form(request, RepaymentSchema(), buttons=buttons("post"))
    if loan.status == "active":
        intro = _("Loan ${id} of ${name}. Payoff today: ${amount}.",
                  mapping={"id": loan.id, "name": loan.customer.name,
                           "amount": current().money(service.payoff_amount(request.dbsession, loan))})
    else:
        intro = _("Loan ${id} of ${name}.", mapping={"id": loan.id, "name": loan.customer.name})
    return page(_("Post a repayment to loan ${id}", mapping={"id": loan.id}),
                process(request, form, lambda data: _post(request, loan, data)), intro=intro)


@view_config(route_name="lending.repayment_new", renderer="core:web/templates/form_page.pt",
             permission="lending.repayment.post")
def repayment_new(request):
    form = make_form(request, NewRepaymentSchema(), buttons=buttons("post"))

    def post(data):
        loan = request.dbsession.get(Loan, data["loan_id"])
        if loan is None:
            raise UserError(_("There is no loan ${id}.", mapping={"id": data["loan_id"]}), "loan_id")
        return _post(request, loan, data)

    return page(_("Post a repayment"), process(request, form, post))


@view_config(route_name="lending.loan_write_off", request_method="POST", permission="lending.loan.manage")
def loan_write_off(request):
    loan = get_visible_or_404(request, Loan, request.matchdict["id"])
    return run_action(request, lambda: service.write_off(request.dbsession, loan, request.POST.get("reason", "")),
                      _("Loan ${id} written off.", mapping={"id": loan.id}), loan_url(request, loan))


@view_config(route_name="lending.repayments", renderer=LIST_PAGE, permission="lending.repayment.view")
def repayments(request):
    def repayment_url(req, r):
        return req.route_url("lending.repayment", id=r.id)

    def date_filter(op):
        def apply(stmt, value):
            day = parse_date(value, "paid_on")
            return stmt.where(op(Repayment.paid_on, day)) if day else stmt
        return apply

    listing = Listing(request, restricted_query(request, Repayment), columns=[
        Column("id", "#", Repayment.id, link=repayment_url),
        Column("reference", _("Reference"), Repayment.reference, link=repayment_url),
        Column("loan_id", _("Loan"), Repayment.loan_id,
               link=lambda req, r: req.route_url("lending.loan", id=r.loan_id)),
        Column("paid_on", _("Date"), Repayment.paid_on, value=lambda r: r.paid_on, kind="date"),
        Column("amount", _("Amount"), Repayment.amount, value=lambda r: r.amount, kind="money", css="money"),
        Column("principal", _("Principal"), Repayment.principal, value=lambda r: r.principal, kind="money", css="money"),
        Column("interest", _("Interest"), Repayment.interest, value=lambda r: r.interest, kind="money", css="money"),
        Column("penalty", _("Penalty"), Repayment.penalty, value=lambda r: r.penalty, kind="money", css="money"),
        Column("service_fee", _("Service fee"), Repayment.service_fee, value=lambda r: r.service_fee, kind="money", css="money"),
        Column("distributed", _("To investors"), Repayment.distributed, value=lambda r: r.distributed, kind="money", css="money"),
    ], filters=[
        Filter("loan", _("Loan #"), lambda s, v: s.where(Repayment.loan_id == v), kind="id"),
        Filter("reference", _("Reference"), lambda s, v: s.where(Repayment.reference.ilike(f"%{v}%"))),
        Filter("from", _("From"), _safe(date_filter(lambda c, d: c >= d)), kind="date"),
        Filter("to", _("To"), _safe(date_filter(lambda c, d: c <= d)), kind="date"),
    ], default_sort="-id", export_name="repayments")
    actions = [(_("Post a repayment"), request.route_url("lending.repayment_new"))] \
        if request.has_permission("lending.repayment.post") else []
    return render_listing(listing, title=_("Repayments"), actions=actions)


def _safe(apply):
    def wrapped(stmt, value):
        try:
            return apply(stmt, value)
        except UserError:
            return stmt.where(False)
    return wrapped


@view_config(route_name="lending.repayment", renderer=TEMPLATES + "repayment.pt", permission="lending.repayment.view")
def repayment_page(request):
    repayment = get_visible_or_404(request, Repayment, request.matchdict["id"])
    shares = request.dbsession.execute(
        select(CashEntry, Customer.name).join(Customer, Customer.id == CashEntry.customer_id)
        .where(CashEntry.repayment_id == repayment.id).order_by(CashEntry.id)).all()
    return {"title": _("Repayment ${reference}", mapping={"reference": repayment.reference}), "r": repayment, "shares": shares,
            "panels": record_panels(request, repayment, can_edit=False)}
