"""Partner commissions (the month's statement and entries) and partner agreements."""
from __future__ import annotations

import colander
import deform
from pyramid.view import view_config
from sqlalchemy import select

from core import context
from core.security import get_visible_or_404
from core.web import parsing
from core.web.forms import CSRFSchema, make_form, page, process
from core.web.listing import Column, Filter, Listing, render_listing
from core.web.record import record_panels
from core.web.shell import flash
from plugins.crm.i18n import _
from plugins.crm.models import Account, Agreement, Commission
from plugins.crm.services import agreements, commissions
from plugins.crm.views.common import FORM_PAGE, LIST_PAGE, TEMPLATES, date_node, lookup_node, text_node
from plugins.crm.views.reports import Report, csv_response


@view_config(route_name="crm.commissions", renderer=TEMPLATES + "commissions.pt", permission="crm.commission.view")
def statement_page(request):
    session = request.dbsession
    try:
        month = parsing.parse_month(request.params["month"], "month") if request.params.get("month") \
            else context.today(session).replace(day=1)
    except parsing.InputError:
        month = context.today(session).replace(day=1)
    lines = commissions.statement(session, month)
    if request.params.get("format") == "csv":
        rows = [(ln.partner, ln.funded, ln.accrued, ln.clawed_back, ln.payable) for ln in lines]
        return csv_response(request, Report(f"commissions-{month:%Y-%m}", "", [
            _("Partner"), _("Funded"), _("Accrued"), _("Clawed back"), _("Payable")], rows), month.year)
    start, end = commissions.month_bounds(month)
    entries = session.execute(select(Commission, Account.name).join(Account, Account.id == Commission.partner_id)
                              .where(Commission.booked_on >= start, Commission.booked_on < end)
                              .order_by(Commission.booked_on, Commission.id).limit(500)).all()
    return {"title": _("Partner commissions"), "month": month, "lines": lines, "entries": entries,
            "total": sum((ln.payable for ln in lines), commissions.ZERO)}


@view_config(route_name="crm.agreements", renderer=LIST_PAGE, permission="crm.commission.view")
def agreement_list(request):
    stmt = select(Agreement).join(Account, Account.id == Agreement.partner_id).add_columns(Account.name)
    listing = Listing(request, stmt, columns=[
        Column("id", "#", Agreement.id, value=lambda r: r[0].id,
               link=lambda req, r: req.route_url("crm.agreement", id=r[0].id)),
        Column("title", _("Title"), Agreement.title, value=lambda r: r[0].title,
               link=lambda req, r: req.route_url("crm.agreement", id=r[0].id), wide=True),
        Column("partner", _("Partner"), Account.name, value=lambda r: r.name),
        Column("status", _("Status"), Agreement.status, value=lambda r: r[0].status,
               kind="label", domain="crm"),
        Column("signed_on", _("Signed"), Agreement.signed_on, value=lambda r: r[0].signed_on or ""),
        Column("valid_until", _("Valid until"), Agreement.valid_until, value=lambda r: r[0].valid_until or ""),
    ], filters=[Filter("partner", _("Partner"), lambda s, v: s.where(Account.name.ilike(f"%{v}%")))],
        default_sort="-id", export_name="crm-agreements")
    actions = [(_("New agreement"), request.route_url("crm.agreement_new"))] \
        if request.has_permission("crm.commission.manage") else []
    intro = _("Attach the signed document on the agreement's page; with legal enabled an agreement not yet "
              "signed becomes a draft contract there, and its signature activates the agreement.")
    return render_listing(listing, title=_("Partner agreements"), actions=actions, intro=intro)


class AgreementSchema(CSRFSchema):
    partner_id = lookup_node(_("Partner"), "crm.partner", Account.id, missing=colander.required)
    title = text_node(_("Title"), missing=colander.required, validator=colander.Length(1, 200))
    signed_on = date_node(_("Signed on"))
    valid_until = date_node(_("Valid until"))
    terms = text_node(_("Terms"), widget=deform.widget.TextAreaWidget(rows=4))


@view_config(route_name="crm.agreement_new", renderer=FORM_PAGE, permission="crm.commission.manage")
def agreement_new(request):
    form = make_form(request, AgreementSchema(), buttons=(deform.Button("create", _("Create")),))

    def create(data):
        partner = get_visible_or_404(request, Account, data["partner_id"])
        agreement = agreements.create_agreement(request.dbsession, partner, data["title"], data["signed_on"],
                                                data["valid_until"], data["terms"])
        flash(request, _("Agreement ${title} created; attach the signed document.", mapping={"title": agreement.title}))
        return request.route_url("crm.agreement", id=agreement.id)

    return page(_("New partner agreement"), process(request, form, create))


@view_config(route_name="crm.agreement", renderer=TEMPLATES + "agreement.pt", permission="crm.commission.view")
def agreement_page(request):
    from core.entities import entity_types, record_url

    agreement = get_visible_or_404(request, Agreement, request.matchdict["id"])
    contract = agreements.split_ref(agreement.contract_ref)
    contract_type = entity_types(request).get(contract[0]) if contract else None
    contract_url = None
    if contract and contract_type is not None and request.has_permission(contract_type.view_permission):
        contract_url = record_url(request, *contract)
    return {"title": agreement.title, "a": agreement, "contract_url": contract_url,
            "status_label": agreements.status_label(agreement.status),
            "panels": record_panels(request, agreement, can_edit=request.has_permission("crm.commission.manage"))}
