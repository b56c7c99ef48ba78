"""Customers: list, create, edit, KYC, cash movements, detail, investor statement."""
from __future__ import annotations

import colander
import deform
from pyramid.view import view_config
from sqlalchemy import func, or_, select

from core.money import money
from core.security import get_visible_or_404, restricted_query
from core.web import parsing
from core.web.forms import CSRFSchema, make_form, page, process, run_action
from core.web.listing import LIST_PAGE, Column, Filter, Listing, render_listing
from core.web.record import record_panels
from core.web.shell import flash
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
from plugins.lending.services import cash
from plugins.lending.services import customers as service
from plugins.lending.services.loans import outstanding_principal
from plugins.lending.views.common import TEMPLATES, date_node, money_node, parse_amount, parse_date


def customer_url(request, customer) -> str:
    return request.route_url("lending.customer", id=customer.id)


class CustomerSchema(CSRFSchema):
    name = colander.SchemaNode(colander.String(), title="Name",
                               validator=parsing.column_text(Customer.name, extra=colander.Length(1)))
    role = colander.SchemaNode(colander.String(), title="Role", widget=deform.widget.SelectWidget(
        values=[(r, r) for r in CUSTOMER_ROLES]))
    kind = colander.SchemaNode(colander.String(), title="Person or company", widget=deform.widget.SelectWidget(
        values=[(k, k) for k in CUSTOMER_KINDS]))
    id_number = colander.SchemaNode(colander.String(), title="ID number",
                                    description="National ID, passport or company registration number; unique.",
                                    validator=parsing.column_text(Customer.id_number))
    phone = colander.SchemaNode(colander.String(), title="Phone", missing="",
                                validator=parsing.column_text(Customer.phone))
    email = colander.SchemaNode(colander.String(), title="Email", missing="",
                                validator=parsing.column_text(Customer.email))
    region = colander.SchemaNode(colander.String(), title="Region", missing="",
                                 validator=parsing.column_text(Customer.region))
    industry = colander.SchemaNode(colander.String(), title="Industry", missing="",
                                   validator=parsing.column_text(Customer.industry))


class CashSchema(CSRFSchema):
    amount = money_node("Amount")
    entry_date = date_node("Date", "Blank: today.", missing="")
    reference = colander.SchemaNode(colander.String(), title="Bank reference", missing="",
                                    validator=parsing.column_text(CashEntry.reference))
    memo = colander.SchemaNode(colander.String(), title="Memo", missing="", validator=parsing.column_text(CashEntry.memo))


@view_config(route_name="lending.customers", renderer=LIST_PAGE, permission="lending.customer.view")
def customers(request):
    def search(stmt, q):
        like = f"%{q}%"
        return stmt.where(or_(Customer.name.ilike(like), Customer.id_number.ilike(like), Customer.email.ilike(like)))

    listing = Listing(request, restricted_query(request, Customer), columns=[
        Column("id", "#", Customer.id, link=customer_url),
        Column("name", "Name", Customer.name, link=customer_url),
        Column("role", "Role", Customer.role),
        Column("kind", "Kind", Customer.kind),
        Column("id_number", "ID number", Customer.id_number),
        Column("region", "Region", Customer.region),
        Column("industry", "Industry", Customer.industry),
        Column("kyc_status", "KYC", Customer.kyc_status),
    ], filters=[
        Filter("q", "Search", search),
        Filter("role", "Role", lambda s, v: s.where(Customer.role == v), tuple((r, r) for r in CUSTOMER_ROLES)),
        Filter("kyc_status", "KYC", lambda s, v: s.where(Customer.kyc_status == v), tuple((k, k) for k in KYC_STATUSES)),
        Filter("region", "Region", lambda s, v: s.where(Customer.region == v)),
    ], default_sort="-id", export_name="customers")
    actions = [("New customer", request.route_url("lending.customer_new"))] \
        if request.has_permission("lending.customer.manage") else []
    return render_listing(listing, title="Customers", actions=actions)


@view_config(route_name="lending.customer_new", renderer="core:web/templates/form_page.pt",
             permission="lending.customer.manage")
def customer_new(request):
    form = make_form(request, CustomerSchema(), buttons=("create",))

    def create(data):
        customer = service.create_customer(request.dbsession, **data)
        flash(request, f"Customer {customer.name} created; upload their identity documents to verify KYC.")
        return customer_url(request, customer)

    return page("New customer", process(request, form, create, {"role": "borrower", "kind": "person"}))


@view_config(route_name="lending.customer_edit", renderer="core:web/templates/form_page.pt",
             permission="lending.customer.manage")
def customer_edit(request):
    customer = get_visible_or_404(request, Customer, request.matchdict["id"])
    form = make_form(request, CustomerSchema(), buttons=("save",))

    def save(data):
        service.update_customer(request.dbsession, customer, **data)
        flash(request, f"Customer {customer.name} saved.")
        return customer_url(request, customer)

    appstruct = {k: getattr(customer, k) for k in service.EDITABLE}
    return page(f"Edit {customer.name}", process(request, form, save, appstruct))


@view_config(route_name="lending.customer_kyc", request_method="POST", permission="lending.customer.manage")
def customer_kyc(request):
    customer = get_visible_or_404(request, Customer, request.matchdict["id"])
    status = request.POST.get("kyc_status", "")
    return run_action(request, lambda: service.set_kyc(request.dbsession, customer, status,
                                                       request.POST.get("kyc_note", "")),
                      f"KYC of {customer.name} is now {status}.", customer_url(request, customer))


@view_config(route_name="lending.customer_cash", renderer="core:web/templates/form_page.pt",
             permission="lending.cash.manage")
def customer_cash(request):
    customer = get_visible_or_404(request, Customer, request.matchdict["id"])
    kind = request.matchdict["kind"]
    form = make_form(request, CashSchema(), buttons=(kind,))

    def record(data):
        amount = parse_amount(data["amount"])
        when = parse_date(data["entry_date"], "entry_date")
        move = cash.deposit if kind == "deposit" else cash.withdraw
        move(request.dbsession, customer, amount, entry_date=when, reference=data["reference"], memo=data["memo"])
        flash(request, f"{kind.title()} of {amount:,.2f} recorded for {customer.name}.")
        return customer_url(request, customer)

    free = cash.available(request.dbsession, customer.id)
    return page(f"{kind.title()} for {customer.name}", process(request, form, record),
                intro=f"Available now: {free:,.2f}.")


@view_config(route_name="lending.customer", renderer=TEMPLATES + "customer.pt", permission="lending.customer.view")
def customer_page(request):
    customer = get_visible_or_404(request, Customer, request.matchdict["id"])
    session = request.dbsession
    values = {"title": customer.name, "customer": customer,
              "panels": record_panels(request, customer, can_edit=request.has_permission("lending.customer.manage")),
              "documents": service.document_count(session, customer),
              "applications": [], "loans": [], "holdings": [], "entries": [], "account": None}
    if request.has_permission("lending.application.view"):
        values["applications"] = session.scalars(select(Application).where(Application.customer_id == customer.id)
                                                 .order_by(Application.id.desc()).limit(50)).all()
    if request.has_permission("lending.loan.view"):
        loans = session.scalars(select(Loan).where(Loan.customer_id == customer.id).order_by(Loan.id.desc())
                                .limit(50)).all()
        values["loans"] = [(loan, outstanding_principal(loan)) for loan in loans]
        if customer.is_investor:
            values["holdings"] = session.scalars(select(Holding).where(Holding.investor_id == customer.id)
                                                 .order_by(Holding.id.desc()).limit(50)).all()
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
        error, start, end = str(exc), None, None
    data = cash.statement(request.dbsession, customer.id, start, end)
    holdings = request.dbsession.scalars(select(Holding).where(Holding.investor_id == customer.id)
                                         .order_by(Holding.loan_id)).all()
    rows = []
    for holding in holdings:
        loan = holding.loan
        left = outstanding_principal(loan)
        rows.append({"holding": holding, "loan": loan, "outstanding": money(left * holding.share)})
    return {"title": f"Statement of {customer.name}", "customer": customer, "start": start, "end": end,
            "statement": data, "holdings": rows, "error": error,
            "available": cash.available(request.dbsession, customer.id),
            "reserved": cash.reserved(request.dbsession, customer.id)}
