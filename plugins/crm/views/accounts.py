"""Accounts: the list, the form, the page (contacts, opportunities, activities, partner tiers), customer link."""
from __future__ import annotations

import colander
import deform
from pyramid.view import view_config
from sqlalchemy import select

from core.models.user import User
from core.security import get_visible_or_404, restricted_query
from core.web.forms import CSRFSchema, make_form, page, process
from core.web.listing import Column, Filter, Listing, render_listing
from core.web.lookups import lookup_input
from core.web.record import record_panels
from core.web.shell import flash
from plugins.crm.i18n import _
from plugins.crm.models import (
    ACCOUNT_KINDS,
    PARTNER_TYPES,
    TIERS,
    Account,
    Activity,
    Agreement,
    CommissionTier,
    Opportunity,
)
from plugins.crm.search import ACCOUNTS
from plugins.crm.services import accounts, commissions
from plugins.crm.views.common import LIST_PAGE, TEMPLATES, lookup_node, run_action, select_node, text_node


def account_url(request, account) -> str:
    return request.route_url("crm.account", id=account.id if hasattr(account, "id") else account)


@view_config(route_name="crm.accounts", renderer=LIST_PAGE, permission="crm.account.view")
def account_list(request):
    stmt = restricted_query(request, Account).outerjoin(User, User.id == Account.owner_id).add_columns(User.username)
    listing = Listing(request, stmt, columns=[
        Column("id", "#", Account.id, value=lambda r: r[0].id, link=lambda req, r: account_url(req, r[0])),
        Column("name", _("Name"), Account.name, value=lambda r: r[0].name, link=lambda req, r: account_url(req, r[0])),
        Column("kind", _("Kind"), Account.kind, value=lambda r: r[0].kind, kind="label", domain="crm"),
        Column("partner_type", _("Partner type"), Account.partner_type, value=lambda r: r[0].partner_type,
               kind="label", domain="crm", optional=True),
        Column("tier", _("Tier"), Account.tier, value=lambda r: r[0].tier),
        Column("region", _("Region"), Account.region, value=lambda r: r[0].region),
        Column("industry", _("Industry"), Account.industry, value=lambda r: r[0].industry),
        Column("owner", _("Owner"), User.username, value=lambda r: r.username or "—"),
        Column("customer", _("Customer"), Account.customer_id, value=lambda r: r[0].customer_id or "",
               kind="text"),
    ], filters=[
        ACCOUNTS.filter(_("Name, ID, phone or e-mail")),
        Filter("kind", _("Kind"), lambda s, v: s.where(Account.kind == v), tuple((k, _(k)) for k in ACCOUNT_KINDS)),
        Filter("tier", _("Tier"), lambda s, v: s.where(Account.tier == v), tuple((t, t) for t in TIERS)),
        Filter("region", _("Region"), lambda s, v: s.where(Account.region == v)),
        Filter("owner", _("Owner"), lambda s, v: s.where(User.username == v)),
    ], default_sort="name", export_name="crm-accounts")
    actions = [(_("New account"), request.route_url("crm.account_new"))] \
        if request.has_permission("crm.account.manage") else []
    return render_listing(listing, title=_("Accounts"), actions=actions)


class AccountSchema(CSRFSchema):
    name = text_node(_("Name"), missing=colander.required, validator=colander.Length(1, 200))
    kind = select_node(_("Kind"), ACCOUNT_KINDS, default="borrower")
    partner_type = select_node(_("Partner type"), PARTNER_TYPES, missing="")
    is_company = colander.SchemaNode(colander.Boolean(), title=_("A company"), missing=False,
                                     widget=deform.widget.CheckboxWidget())
    owner_id = lookup_node(_("Owner"), "crm.user", User.id)
    tier = select_node(_("Tier"), TIERS, default="C")
    region = text_node(_("Region"))
    industry = text_node(_("Industry"))
    id_number = text_node(_("ID number"), _("Links the account to lending's customer with the same ID number."))
    email = text_node(_("E-mail"))
    phone = text_node(_("Phone"))
    commission_rate = text_node(_("Commission rate (%)"), _("Partners only: on funded principal when no tier "
                                                            "applies."))
    notes = text_node(_("Notes"), widget=deform.widget.TextAreaWidget(rows=3))


def _form_data(data: dict) -> dict:
    data = dict(data)
    data["commission_rate"] = data.get("commission_rate") or None
    return data


@view_config(route_name="crm.account_new", renderer="core:web/templates/form_page.pt",
             permission="crm.account.manage")
def account_new(request):
    form = make_form(request, AccountSchema(), buttons=(deform.Button("create", _("Create")),))

    def create(data):
        account = accounts.create_account(request.dbsession, **_form_data(data))
        flash(request, _("Account ${name} created.", mapping={"name": account.name}))
        return account_url(request, account)

    return page(_("New account"), process(request, form, create, appstruct={"owner_id": request.user.id}))


@view_config(route_name="crm.account_edit", renderer="core:web/templates/form_page.pt",
             permission="crm.account.manage")
def account_edit(request):
    account = get_visible_or_404(request, Account, request.matchdict["id"])
    form = make_form(request, AccountSchema(), buttons=(deform.Button("save", _("Save")),))

    def save(data):
        accounts.update_account(request.dbsession, account, **_form_data(data))
        flash(request, _("Account ${name} saved.", mapping={"name": account.name}))
        return account_url(request, account)

    appstruct = {k: getattr(account, k) for k in ("name", "kind", "partner_type", "is_company", "owner_id", "tier",
                                                  "region", "industry", "id_number", "email", "phone", "notes")}
    appstruct["commission_rate"] = str((account.commission_rate * 100).normalize()) if account.commission_rate else ""
    return page(_("Edit ${name}", mapping={"name": account.name}), process(request, form, save, appstruct))


@view_config(route_name="crm.account", renderer=TEMPLATES + "account.pt", permission="crm.account.view")
def account_page(request):
    account = get_visible_or_404(request, Account, request.matchdict["id"])
    session = request.dbsession
    opportunities = session.scalars(restricted_query(request, Opportunity).where(
        (Opportunity.account_id == account.id) | (Opportunity.partner_id == account.id))
        .order_by(Opportunity.id.desc()).limit(50)).all()
    activities = session.scalars(restricted_query(request, Activity).where(Activity.account_id == account.id)
                                 .order_by(Activity.planned_on.desc()).limit(30)).all()
    tiers = session.scalars(select(CommissionTier).where(CommissionTier.partner_id == account.id)
                            .order_by(CommissionTier.min_volume)).all() if account.kind == "partner" else []
    agreements = session.scalars(select(Agreement).where(Agreement.partner_id == account.id)
                                 .order_by(Agreement.id.desc())).all() if account.kind == "partner" else []
    can_edit = request.has_permission("crm.account.manage")
    return {"title": account.name, "account": account, "opportunities": opportunities, "activities": activities,
            "tiers": tiers, "agreements": agreements, "can_edit": can_edit,
            "can_tier": request.has_permission("crm.commission.manage") and account.kind == "partner",
            "customer_link": account.customer_id and request.has_permission("lending.customer.view"),
            "customer_lookup": lookup_input(request, "lending.customer", "customer_id", _("Customer"))
            if can_edit and account.customer_id is None and request.has_permission("lending.customer.view") else "",
            "csrf": request.session.get_csrf_token(), "panels": record_panels(request, account, can_edit=can_edit)}


@view_config(route_name="crm.account_link", request_method="POST", permission="crm.account.manage")
def account_link(request):
    """Link the account to lending's customer by hand (when the automatic match found nothing)."""
    from core.errors import UserError
    from plugins.lending.models import Customer

    account = get_visible_or_404(request, Account, request.matchdict["id"])

    def link():
        if not request.has_permission("lending.customer.view"):
            raise UserError(_("Linking needs the permission to see customers."), "customer_id")
        raw = request.POST.get("customer_id", "")
        customer = request.dbsession.get(Customer, int(raw)) if raw.isdigit() and len(raw) < 10 else None
        if customer is None:
            raise UserError(_("Choose a customer."), "customer_id")
        return accounts.link_customer(request.dbsession, account, customer, credit=False)

    return run_action(request, link, _("Account linked to the customer."), account_url(request, account))


@view_config(route_name="crm.account_contact", request_method="POST", permission="crm.account.manage")
def account_contact(request):
    account = get_visible_or_404(request, Account, request.matchdict["id"])
    p = request.POST
    return run_action(request, lambda: accounts.add_contact(request.dbsession, account, p.get("name", ""),
                                                            p.get("position", ""), p.get("email", ""),
                                                            p.get("phone", "")),
                      _("Contact added."), account_url(request, account))


@view_config(route_name="crm.account_tier", request_method="POST", permission="crm.commission.manage")
def account_tier(request):
    from core.web.parsing import current_locale, parse_money

    account = get_visible_or_404(request, Account, request.matchdict["id"])

    def save():
        floor = parse_money(request.POST.get("min_volume") or "0", "min_volume", locale=current_locale())
        return commissions.set_tier(request.dbsession, account, floor, request.POST.get("rate", ""))

    return run_action(request, save, _("Commission tier saved."), account_url(request, account))
