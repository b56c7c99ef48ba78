"""The seal register: seals and their custodians, requests, each use and return."""
from __future__ import annotations

import colander
from pyramid.httpexceptions import HTTPForbidden, HTTPNotFound
from pyramid.view import view_config
from sqlalchemy import select

from core.formatting import for_request
from core.models.user import User
from core.security import get_visible_or_404, restricted_query
from core.web import parsing
from core.web.forms import CSRFSchema, make_form, page, process
from core.web.listing import LIST_PAGE, Column, Filter, Listing, render_listing
from core.web.lookups import LookupWidget
from core.web.record import record_panels
from core.web.shell import flash
from plugins.legal.i18n import _
from plugins.legal.models import SEAL_KINDS, SEAL_REQUEST_STATUSES, Contract, Seal, SealRequest, SealUse
from plugins.legal.services import seals
from plugins.legal.views.common import (
    FORM_PAGE,
    RECORD,
    action,
    date_node,
    field,
    int_node,
    label,
    post_date,
    run_action,
    select_node,
    text_node,
)

V = "legal.seal.view"


def request_url(request, row) -> str:
    return request.route_url("legal.seal_request", id=row.id)


@view_config(route_name="legal.seals", renderer=LIST_PAGE, permission=V)
def register(request):
    """Every request with its seal, applicant, document and use: who used which seal on what, when."""
    stmt = restricted_query(request, SealRequest).add_columns(Seal.name.label("seal_name"),
                                                              User.username.label("applicant"),
                                                              SealUse.used_on, SealUse.returned_on) \
        .join(Seal, Seal.id == SealRequest.seal_id).join(User, User.id == SealRequest.applicant_id) \
        .outerjoin(SealUse, SealUse.request_id == SealRequest.id)
    listing = Listing(request, stmt, columns=[
        Column("id", "#", SealRequest.id, value=lambda r: r[0].id, link=lambda req, r: request_url(req, r[0])),
        Column("seal", _("Seal"), Seal.name, value=lambda r: r.seal_name),
        Column("applicant", _("Applicant"), User.username, value=lambda r: r.applicant),
        Column("purpose", _("Purpose"), None, value=lambda r: r[0].purpose, wide=True),
        Column("document", _("Document hash"), None, value=lambda r: r[0].document_sha256[:16]),
        Column("copies", _("Copies"), None, value=lambda r: r[0].copies, kind="number"),
        Column("status", _("Status"), SealRequest.status, value=lambda r: label(r[0].status), card="key"),
        Column("used_on", _("Used on"), SealUse.used_on, value=lambda r: r.used_on, kind="date"),
        Column("return_due", _("Return due"), SealRequest.return_due, value=lambda r: r[0].return_due, kind="date"),
        Column("returned_on", _("Returned"), SealUse.returned_on, value=lambda r: r.returned_on, kind="date"),
    ], filters=[
        Filter("status", _("Status"), lambda stmt, v: stmt.where(SealRequest.status == v),
               tuple((s, label(s)) for s in SEAL_REQUEST_STATUSES)),
    ], default_sort="-id", export_name="legal-seal-register")
    actions = []
    if request.has_permission("legal.seal.request"):
        actions.append((_("Request a seal"), request.route_url("legal.seal_request_new")))
    if request.has_permission("legal.template.manage"):
        actions.append((_("New seal"), request.route_url("legal.seal_new")))
    return render_listing(listing, title=_("Seal register"), actions=actions)


class SealSchema(CSRFSchema):
    name = text_node(_("Name"), missing=colander.required, validator=colander.Length(1, 200))
    kind = select_node(_("Kind"), [(k, label(k)) for k in SEAL_KINDS])
    custodian_id = colander.SchemaNode(parsing.Id(), title=_("Custodian"),
                                       widget=LookupWidget(lookup="legal.custodian"))


@view_config(route_name="legal.seal_new", renderer=FORM_PAGE, permission="legal.template.manage")
def seal_new(request):
    form = make_form(request, SealSchema(), buttons=("create",))

    def create(data):
        seal = seals.create_seal(request.dbsession, data["name"], data["kind"], data["custodian_id"])
        flash(request, _("Seal ${name} added to the register.", mapping={"name": seal.name}))
        return request.route_url("legal.seals")

    return page(_("New seal"), process(request, form, create))


class RequestSchema(CSRFSchema):
    seal_id = colander.SchemaNode(parsing.Id(), title=_("Seal"), widget=LookupWidget(lookup="legal.seal"))
    contract_id = colander.SchemaNode(parsing.Id(), title=_("Approved contract"), missing=None,
                                      widget=LookupWidget(lookup="legal.contract"))
    document_id = colander.SchemaNode(parsing.Id(), title=_("Or a document (its number)"), missing=None)
    purpose = text_node(_("Purpose"), missing=colander.required)
    copies = int_node(_("Copies"), default=1, missing=1)
    takes_out = colander.SchemaNode(colander.Boolean(), title=_("The seal leaves the office"), missing=False)
    return_due = date_node(_("Return by"))


@view_config(route_name="legal.seal_request_new", renderer=FORM_PAGE, permission="legal.seal.request")
def request_new(request):
    form = make_form(request, RequestSchema(), buttons=("request",))
    session = request.dbsession

    def create(data):
        seal = session.get(Seal, data["seal_id"])
        if seal is None:
            from core.errors import UserError

            raise UserError(_("Choose a seal."), "seal_id")
        contract = session.get(Contract, data["contract_id"]) if data["contract_id"] else None
        row = seals.request_use(session, seal=seal, applicant_id=request.user.id, purpose=data["purpose"],
                                copies=data["copies"], contract=contract, document_id=data["document_id"],
                                takes_out=data["takes_out"], return_due=data["return_due"])
        flash(request, _("Seal request ${id} sent for approval.", mapping={"id": row.id}))
        return request_url(request, row)

    return page(_("Request a seal"), process(request, form, create))


@view_config(route_name="legal.seal_request", renderer=RECORD, permission=V)
def request_page(request):
    row = get_visible_or_404(request, SealRequest, request.matchdict["id"])
    fmt = for_request(request)
    use = request.dbsession.scalar(select(SealUse).where(SealUse.request_id == row.id))
    facts = [(_("Seal"), f"{row.seal.name} ({fmt.label(row.seal.kind, 'legal')})"),
             (_("Custodian"), row.seal.custodian.username), (_("Applicant"), row.applicant.username),
             (_("Purpose"), row.purpose), (_("Copies"), fmt.number(row.copies)),
             (_("Contract"), row.contract.title if row.contract else "—"), (_("Document hash"), row.document_sha256),
             (_("Leaves the office"), fmt.yes_no(row.takes_out)), (_("Return by"), fmt.date(row.return_due) or "—"),
             (_("Approver"), row.approver.username if row.approver else "—"),
             (_("Used on"), fmt.date(use.used_on) if use else "—"),
             (_("Returned on"), fmt.date(use.returned_on) if use and use.returned_on else "—")]
    url = lambda name: request.route_url("legal.seal_request_action", id=row.id, action=name)  # noqa: E731
    actions = []
    if row.status == "requested" and request.has_permission("legal.seal.approve") \
            and request.user.id != row.applicant_id:
        actions += [action("approve", _("Approve"), url("approve"), style="success"),
                    action("reject", _("Reject"), url("reject"), [field("note", _("Why"))], style="outline-danger")]
    if request.user.id == row.seal.custodian_id and request.has_permission("legal.seal.keep"):
        if row.status == "approved":
            actions.append(action("use", _("Record the use"), url("use"), [
                field("used_on", _("Used on"), "date"),
                field("document_sha256", _("Hash on the document (optional check)"))]))
        if row.status == "used" and row.seal.out_request_id == row.id:
            actions.append(action("return", _("Record the return"), url("return"),
                                  [field("returned_on", _("Returned on"), "date")]))
    return {"title": _("Seal request ${id}", mapping={"id": row.id}), "status": fmt.label(row.status, "legal"),
            "facts": facts, "actions": actions, "links": [], "tables": [], "csrf": request.session.get_csrf_token(),
            "notice": None, "panels": record_panels(request, row, can_edit=request.has_permission("legal.seal.request"))}


@view_config(route_name="legal.seal_request_action", request_method="POST", permission=V)
def request_action(request):
    row = get_visible_or_404(request, SealRequest, request.matchdict["id"])
    session, name = request.dbsession, request.matchdict["action"]
    back, user, post = request_url(request, row), request.user, request.POST
    needs = {"approve": "legal.seal.approve", "reject": "legal.seal.approve", "use": "legal.seal.keep",
             "return": "legal.seal.keep"}
    if name not in needs:
        raise HTTPNotFound()
    if not request.has_permission(needs[name]):
        raise HTTPForbidden()
    actions = {
        "approve": (lambda: seals.decide(session, row, user, True), _("Seal request approved.")),
        "reject": (lambda: seals.decide(session, row, user, False, post.get("note", "")), _("Seal request rejected.")),
        "use": (lambda: seals.record_use(session, row, user, post_date(request, "used_on"),
                                         post.get("document_sha256", "")), _("Seal use recorded.")),
        "return": (lambda: seals.record_return(session, row.seal, user, post_date(request, "returned_on")),
                   _("Seal return recorded.")),
    }
    run, message = actions[name]
    return run_action(request, lambda: (run(), back)[1], message, back)
