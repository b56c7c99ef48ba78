"""Customers: list, create, edit, KYC, cash movements, detail, investor statement."""
from __future__ import annotations

import colander
import deform
from pyramid.view import view_config
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from core.formatting import current
from core.money import money
from core.security import get_visible_or_404, restricted_query
from core.web import parsing
from core.web.forms import CSRFSchema, make_form, page, process, run_action
from core.web.listing import LIST_PAGE, Column, Filter, Listing, render_listing
from core.web.record import record_panels
from core.web.shell import flash
from plugins.lending.i18n import _, choices
from plugins.lending.models import (
    CUSTOMER_KINDS,
    CUSTOMER_ROLES,
    KYC_STATUSES,
    Application,
    CashEntry,
    Customer,
    Holding,
    Loan,
)
from plugins.lending.panels import visible_panels
from plugins.lending.search import CUSTOMERS
from plugins.lending.services import cash
from plugins.lending.services import customers as service
from plugins.lending.services.loans import outstanding_principal
from plugins.lending.views.common import (
    TEMPLATES,
    buttons,
    date_node,
    money_node,
    parse_amount,
    parse_date,
)


def customer_url(request, customer) -> str:
    return request.route_url("lending.customer", id=customer.id)


class CustomerSchema(CSRFSchema):
    name = colander.SchemaNode(colander.String(), title=_("Name"),
                               validator=parsing.column_text(Customer.name, extra=colander.Length(1)))
    role = colander.SchemaNode(colander.String(), title=_("Role"), widget=deform.widget.SelectWidget(
        values=choices(CUSTOMER_ROLES)))
    kind = colander.SchemaNode(colander.String(), title=_("Person or company"), widget=deform.widget.SelectWidget(
        values=choices(CUSTOMER_KINDS)))
    id_number = colander.SchemaNode(colander.String(), title=_("ID number"),
                                    description=_("National ID, passport or company registration number; unique."),
                                    validator=parsing.column_text(Customer.id_number))
    phone = colander.SchemaNode(colander.String(), title=_("Phone"), missing="",
                                validator=parsing.column_text(Customer.phone))
    email = colander.SchemaNode(colander.String(), title=_("Email"), missing="",
                                validator=parsing.column_text(Customer.email))
    region = colander.SchemaNode(colander.String(), title=_("Region"), missing="",
                                 validator=parsing.column_text(Customer.region))
    industry = colander.SchemaNode(colander.String(), title=_("Industry"), missing="",
                                   validator=parsing.column_text(Customer.industry))


class CashSchema(CSRFSchema):
    amount = money_node(_("Amount"))
    entry_date = date_node(_("Date"), _("Blank: today."), missing="")
    reference = colander.SchemaNode(colander.String(), title=_("Bank reference"), missing="",
                                    validator=parsing.column_text(CashEntry.reference))
    memo = colander.SchemaNode(colander.String(), title=_("Memo"), missing="",
                               validator=parsing.column_text(CashEntry.memo))


@view_config(route_name="lending.customers", renderer=LIST_PAGE, permission="lending.customer.view")
def customers(request):
    listing = Listing(request, restricted_query(request, Customer), columns=[
        Column("id", "#", Customer.id, link=customer_url),
        Column("name", _("Name"), Customer.name, link=customer_url),
        Column("role", _("Role"), Customer.role, value=lambda c: c.role, kind="label", domain="lending"),
        Column("kind", _("Kind"), Customer.kind, value=lambda c: c.kind, kind="label", domain="lending"),
        Column("id_number", _("ID number"), Customer.id_number),
        Column("region", _("Region"), Customer.region),
        Column("industry", _("Industry"), Customer.industry),
        Column("kyc_status", _("KYC"), Customer.kyc_status, value=lambda c: c.kyc_status, kind="label", domain="lending"),
    ], filters=[
        CUSTOMERS.filter(_("Search")),
        Filter("role", _("Role"), lambda s, v: s.where(Customer.role == v), choices(CUSTOMER_ROLES)),
        Filter("kyc_status", _("KYC"), lambda s, v: s.where(Customer.kyc_status == v), choices(KYC_STATUSES)),
        Filter("region", _("Region"), lambda s, v: s.where(Customer.region == v)),
    ], default_sort="-id", export_name="customers")
    actions = [(_("New customer"), request.route_url("lending.customer_new"))] \
        if request.has_permission("lending.customer.manage") else []
    return render_listing(listing, title=_("Customers"), actions=actions)


@view_config(route_name="lending.customer_new", renderer="core:web/templates/form_page.pt",
             permission="lending.customer.manage")
def customer_new(request):
    form = make_form(request, CustomerSchema(), buttons=buttons("create"))

    def create(data):
        customer = service.create_customer(request.dbsession, **data)
        flash(request, _("Customer ${name} created; upload their identity documents to verify KYC.",
                         mapping={"name": customer.name}))
        return customer_url(request, customer)

    return page(_("New customer"), process(request, form, create, {"role": "borrower", "kind": "person"}))


@view_config(route_name="lending.customer_edit", renderer="core:web/templates/form_page.pt",
             permission="lending.customer.manage")
def customer_edit(request):
    customer = get_visible_or_404(request, Customer, request.matchdict["id"])
    form = make_form(request, CustomerSchema(), buttons=buttons("save"))

    def save(data):
        service.update_customer(request.dbsession, customer, **data)
        flash(request, _("Customer ${name} saved.", mapping={"name": customer.name}))
        return customer_url(request, customer)

    appstruct = {k: getattr(customer, k) for k in service.EDITABLE}
    return page(_("Edit ${name}", mapping={"name": customer.name}), process(request, form, save, appstruct))


@view_config(route_name="lending.customer_kyc", request_method="POST", permission="lending.customer.manage")
def customer_kyc(request):
    customer = get_visible_or_404(request, Customer, request.matchdict["id"])
    status = request.POST.get("kyc_status", "")
    return run_action(request, lambda: service.set_kyc(request.dbsession, customer, status,
                                                       request.POST.get("kyc_note", "")),
                      lambda _result: _("KYC of ${name} is now ${status}.",
                                        mapping={"name": customer.name, "status": current().label(status, "lending")}),
                      customer_url(request, customer))


@view_config(route_name="lending.customer_cash", renderer="core:web/templates/form_page.pt",
             permission="lending.cash.manage")
def customer_cash(request):
    customer = get_visible_or_404(request, Customer, request.matchdict["id"])
    kind = request.matchdict["kind"]
    form = make_form(request, CashSchema(), buttons=buttons(kind))

    def record(data):
        amount = parse_amount(data["amount"])
        when = parse_date(data["entry_date"], "entry_date")
        move = cash.deposit if kind == "deposit" else cash.withdraw
        move(request.dbsession, customer, amount, entry_date=when, reference=data["reference"], memo=data["memo"])
        values = {"amount": current().money(amount), "name": customer.name}
        flash(request, _("Deposit of ${amount} recorded for ${name}.", mapping=values) if kind == "deposit"
              else _("Withdrawal of ${amount} recorded for ${name}.", mapping=values))
        return customer_url(request, customer)

    free = cash.available(request.dbsession, customer.id)
    title = _("Deposit for ${name}", mapping={"name": customer.name}) if kind == "deposit" \
        else _("Withdrawal for ${name}", mapping={"name": customer.name})
    return page(title, process(request, form, record),
                intro=_("Available now: ${amount}.", mapping={"amount": current().money(free)}))


@view_config(route_name="lending.customer", renderer=TEMPLATES + "customer.pt", permission="lending.customer.view")
def customer_page(request):
    customer = get_visible_or_404(request, Customer, request.matchdict["id"])
    session = request.dbsession
    values = {"title": customer.name, "customer": customer,
              "panels": record_panels(request, customer, can_edit=request.has_permission("lending.customer.manage")),
              "documents": service.document_count(session, customer),
              "department_panels": visible_panels(request, customer),
              "applications": [], "loans": [], "holdings": [], "entries": [], "account": None}
    if request.has_permission("lending.application.view"):
        values["applications"] = session.scalars(select(Application).where(Application.customer_id == customer.id)
                                                 .order_by(Application.id.desc()).limit(50)).all()
    if request.has_permission("lending.loan.view"):
        loans = session.scalars(select(Loan).where(Loan.customer_id == customer.id).order_by(Loan.id.desc())
                                .limit(50).options(selectinload(Loan.installments))).all()  # outstanding: no N+1
        values["loans"] = [(loan, outstanding_principal(loan)) for loan in loans]
        if customer.is_investor:
            values["holdings"] = session.scalars(select(Holding).where(Holding.investor_id == customer.id)
                                                 .order_by(Holding.id.desc()).limit(50)
                                                 .options(selectinload(Holding.loan))).all()
    if customer.is_investor and request.has_permission("lending.cash.view"):
        values["account"] = {"balance": cash.balance(session, customer.id),
                             "reserved": cash.reserved(session, customer.id),
                             "available": cash.available(session, customer.id),
                             "count": session.scalar(select(func.count()).select_from(CashEntry)
                                                     .where(CashEntry.customer_id == customer.id))}
        values["entries"] = session.scalars(select(CashEntry).where(CashEntry.customer_id == customer.id)
                                            .order_by(CashEntry.id.desc()).limit(20)).all()
    return values


@view_config(route_name="lending.customer_statement", renderer=TEMPLATES + "statement.pt",
             permission="lending.cash.view")
def customer_statement(request):
    from core.errors import UserError

    customer = get_visible_or_404(request, Customer, request.matchdict["id"])
    error = None
    try:
        start = parse_date(request.params.get("start"), "start")
        end = parse_date(request.params.get("end"), "end")
    except UserError as exc:
        error, start, end = exc.message, None, None
    data = cash.statement(request.dbsession, customer.id, start, end)
    holdings = request.dbsession.scalars(select(Holding).where(Holding.investor_id == customer.id)
                                         .order_by(Holding.loan_id)).all()
    rows = []
    for holding in holdings:
        loan = holding.loan
        left = outstanding_principal(loan)
        rows.append({"holding": holding, "loan": loan, "outstanding": money(left * holding.share)})
    return {"title": _("Statement of ${name}", mapping={"name": customer.name}), "customer": customer,
            "start": start, "end": end, "raw_start": request.params.get("start", "")[:40],
            "raw_end": request.params.get("end", "")[:40],
            "statement": data, "holdings": rows, "error": error,
            "available": cash.available(request.dbsession, customer.id),
            "reserved": cash.reserved(request.dbsession, customer.id)}
