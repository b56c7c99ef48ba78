"""Contracts: the list, a new contract (from a template or uploaded), the record page and its workflow buttons."""
from __future__ import annotations

import colander
import deform
from pyramid.view import view_config
from sqlalchemy import select

from core.documents import blob_store
from core.formatting import for_request
from core.security import get_visible_or_404, restricted_query
from core.web.forms import CSRFSchema, make_form, page, process
from core.web.listing import LIST_PAGE, Column, Filter, Listing, render_listing
from core.web.record import record_panels
from core.web.shell import flash
from plugins.legal.i18n import _
from plugins.legal.models import CONTRACT_STATUSES, CONTRACT_TYPES, RENEWAL_TYPES, Contract, Template
from plugins.legal.search import CONTRACTS
from plugins.legal.services import contracts, templates, terms
from plugins.legal.views.common import (
    FORM_PAGE,
    RECORD,
    action,
    date_node,
    field,
    int_node,
    label,
    money_node,
    post_date,
    post_upload,
    run_action,
    select_node,
    text_node,
)

V, M = "legal.contract.view", "legal.contract.manage"


def contract_url(request, contract) -> str:
    return request.route_url("legal.contract", id=contract.id)


@view_config(route_name="legal.contracts", renderer=LIST_PAGE, permission=V)
def contract_list(request):
    listing = Listing(request, restricted_query(request, Contract), columns=[
        Column("id", "#", Contract.id, link=contract_url),
        Column("title", _("Title"), Contract.title, link=contract_url, wide=True),
        Column("contract_type", _("Type"), Contract.contract_type, value=lambda c: label(c.contract_type)),
        Column("status", _("Status"), Contract.status, value=lambda c: label(c.status), card="key"),
        Column("counterparty", _("Counterparty"), Contract.counterparty, wide=True),
        Column("value", _("Value"), Contract.value, kind="money"),
        Column("end_date", _("Ends"), Contract.end_date, kind="date"),
        Column("notice_deadline", _("Notice by"), None, value=lambda c: c.notice_deadline, kind="date"),
        Column("renewal_type", _("Renewal"), Contract.renewal_type, value=lambda c: label(c.renewal_type),
               optional=True),
    ], filters=[
        CONTRACTS.filter(_("Search")),
        Filter("status", _("Status"), lambda stmt, v: stmt.where(Contract.status == v),
               tuple((s, label(s)) for s in CONTRACT_STATUSES)),
        Filter("contract_type", _("Type"), lambda stmt, v: stmt.where(Contract.contract_type == v),
               tuple((s, label(s)) for s in CONTRACT_TYPES)),
        Filter("customer", _("Customer"), lambda stmt, v: stmt.where(Contract.customer_id == v), kind="id"),
    ], default_sort="-id", export_name="legal-contracts")
    actions = [(_("New contract"), request.route_url("legal.contract_new"))] if request.has_permission(M) else []
    return render_listing(listing, title=_("Contracts"), actions=actions)


class ContractSchema(CSRFSchema):
    title = text_node(_("Title"), missing=colander.required, validator=colander.Length(1, 200))
    contract_type = select_node(_("Type"), [(t, label(t)) for t in CONTRACT_TYPES])
    template_id = select_node(_("Template"), [], missing="")
    counterparty = text_node(_("Counterparty"))
    parties = text_node(_("Parties who sign"), _("One a line, as they sign."),
                        widget=deform.widget.TextAreaWidget(rows=3))
    value = money_node(_("Value"), missing=None)
    start_date = date_node(_("Start"))
    end_date = date_node(_("End"))
    renewal_type = select_node(_("Renewal"), [(t, label(t)) for t in RENEWAL_TYPES], default="none")
    renewal_months = int_node(_("Renewal period (months)"), default=12)
    notice_days = int_node(_("Notice period (days)"), default=30)
    fields = text_node(_("Template fields"), _("One a line: name = value (the template's fields)."),
                       widget=deform.widget.TextAreaWidget(rows=4))


def _values(text: str) -> dict:
    values = {}
    for line in (text or "").splitlines():
        if "=" in line:
            key, _sep, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


@view_config(route_name="legal.contract_new", renderer=FORM_PAGE, permission=M)
def contract_new(request):
    session = request.dbsession
    schema = ContractSchema()
    choices = [("", _("— none: upload the text on the contract's page —"))] + [
        (str(t.id), t.name) for t in session.scalars(select(Template).where(Template.active).order_by(Template.name))]
    schema["template_id"].widget = deform.widget.SelectWidget(values=choices)
    form = make_form(request, schema, buttons=("create",))

    def create(data):
        contract = contracts.create_contract(
            session, title=data["title"], contract_type=data["contract_type"], owner_id=request.user.id,
            value=data["value"] or 0, parties=data["parties"], counterparty=data["counterparty"],
            start_date=data["start_date"], end_date=data["end_date"], renewal_type=data["renewal_type"],
            renewal_months=data["renewal_months"] or 12, notice_days=data["notice_days"] or 0)
        store = blob_store(request)
        if data["template_id"]:
            template = session.get(Template, int(data["template_id"]))
            contracts.generate(session, contract, templates.current_version(session, template),
                               _values(data["fields"]), store, request.user.id)
        flash(request, _("Contract ${id} created.", mapping={"id": contract.id}))
        return contract_url(request, contract)

    return page(_("New contract"), process(request, form, create))


@view_config(route_name="legal.contract", renderer=RECORD, permission=V)
def contract_page(request):
    contract = get_visible_or_404(request, Contract, request.matchdict["id"])
    fmt = for_request(request)
    url = lambda name: request.route_url("legal.contract_action", id=contract.id, action=name)  # noqa: E731
    facts = [(_("Type"), fmt.label(contract.contract_type, "legal")), (_("Counterparty"), contract.counterparty),
             (_("Parties"), ", ".join(contracts.party_list(contract))), (_("Value"), fmt.money(contract.value)),
             (_("Owner"), contract.owner.username if contract.owner else "—"),
             (_("Term"), f"{fmt.date(contract.start_date) or '—'} – {fmt.date(contract.end_date) or '—'}"),
             (_("Renewal"), fmt.label(contract.renewal_type, "legal")),
             (_("Notice deadline"), fmt.date(contract.notice_deadline) or "—"),
             (_("Renewals"), fmt.number(contract.renewals)),
             (_("Review levels"), fmt.number(contract.review_levels)),
             (_("Approved text (SHA-256)"), contract.approved_sha256 or "—")]
    if contract.notice_given_on:
        facts.append((_("Notice given on"), fmt.date(contract.notice_given_on)))
    actions = _actions(request, contract, url)
    approvals = [[fmt.number(a.level), a.user.username, fmt.label(a.decision, "legal"), a.comment,
                  fmt.when(a.decided_at), a.text_sha256[:16], fmt.yes_no(a.current)] for a in contract.approvals]
    signatures = [[s.party, s.method, fmt.date(s.signed_on), fmt.number(s.document_version), s.copy_sha256[:16]]
                  for s in contract.signatures]
    tables = [{"id": "approvals", "title": _("Review"), "head": [_("Level"), _("Reviewer"), _("Decision"),
                                                                 _("Comment"), _("When"), _("Text hash"),
                                                                 _("Counts")],
               "rows": approvals, "empty": _("Not reviewed yet.")},
              {"id": "signatures", "title": _("Signatures"), "head": [_("Party"), _("Method"), _("Signed on"),
                                                                      _("Document version"), _("Copy hash")],
               "rows": signatures, "empty": _("Not signed yet.")}]
    links = []
    if contract.loan_id and request.has_permission("lending.loan.view"):
        links.append((_("Loan ${id}", mapping={"id": contract.loan_id}),
                      request.route_url("lending.loan", id=contract.loan_id)))
    refusal = contracts.can_review(request.dbsession, contract, request.user) \
        if contract.status == "in_review" else None
    return {"title": contract.title, "status": fmt.label(contract.status, "legal"), "facts": facts,
            "actions": actions, "tables": tables, "links": links,
            "notice": refusal if refusal and request.has_permission("legal.contract.review") else None,
            "csrf": request.session.get_csrf_token(),
            "panels": record_panels(request, contract, can_edit=request.has_permission(M))}


def _actions(request, contract, url) -> list[dict]:
    out, status = [], contract.status
    manage = request.has_permission(M)
    if manage and status == "draft":
        out.append(action("submit", _("Send to review"), url("submit")))
    if status == "in_review" and request.has_permission("legal.contract.review") \
            and contracts.can_review(request.dbsession, contract, request.user) is None:
        out.append(action("approve", _("Approve"), url("approve"), [field("comment", _("Comment"))],
                          style="success"))
        out.append(action("reject", _("Send back to draft"), url("reject"),
                          [field("comment", _("What must change"), "textarea")], style="outline-danger"))
    if manage and status in ("approved", "signed", "active"):
        pending = [p for p in contracts.party_list(contract) if p not in {s.party for s in contract.signatures}]
        if pending:
            out.append(action("sign", _("Record a signed copy"), url("sign"), [
                field("party", _("Party"), "select", options=[(p, p) for p in pending]),
                field("signed_on", _("Signed on"), "date"),
                field("signed_text_sha256", _("Hash printed on the signed copy"),
                      placeholder=contract.approved_sha256[:16] + "…"),
                field("file", _("Signed copy"), "file")]))
    if manage and status not in ("expired", "terminated"):
        out.append(action("revise", _("Upload a new text"), url("revise"), [field("file", _("Text"), "file")],
                          style="outline-secondary"))
    if manage and status == "active":
        if contract.renewal_type == "express" and not contract.notice_given_on:
            out.append(action("renew", _("Renew"), url("renew"), style="outline-primary"))
        if contract.renewal_type != "none" and not contract.notice_given_on:
            out.append(action("notice", _("Give notice"), url("notice"), [field("on", _("On"), "date")],
                              style="outline-warning"))
    if manage and status in ("signed", "active", "approved"):
        out.append(action("terminate", _("Terminate"), url("terminate"), [field("on", _("On"), "date"),
                                                                           field("reason", _("Why"), "textarea")],
                          style="outline-danger"))
    return out


@view_config(route_name="legal.contract_action", request_method="POST", permission=V)
def contract_action(request):
    """The workflow buttons; each needs its own permission on top of seeing the contract."""
    from pyramid.httpexceptions import HTTPForbidden, HTTPNotFound

    contract = get_visible_or_404(request, Contract, request.matchdict["id"])
    session, name, back = request.dbsession, request.matchdict["action"], contract_url(request, contract)
    needs = "legal.contract.review" if name in ("approve", "reject") else M
    if not request.has_permission(needs):
        raise HTTPForbidden()
    store = blob_store(request)

    def sign():
        data, filename = post_upload(request)
        return contracts.sign(session, contract, party=request.POST.get("party", ""), data=data, filename=filename,
                              store=store, signed_on=post_date(request, "signed_on"),
                              signed_text_sha256=request.POST.get("signed_text_sha256", ""),
                              user_id=request.user.id)

    def revise():
        data, filename = post_upload(request)
        if not data:
            from core.errors import UserError

            raise UserError(_("Choose the file with the new text."), "file")
        return contracts.revise_text(session, contract, data, filename, store, request.user.id)

    actions = {
        "submit": (lambda: contracts.submit(session, contract), _("Sent to review.")),
        "approve": (lambda: contracts.decide(session, contract, request.user, True, request.POST.get("comment", "")),
                    _("Approved at your level.")),
        "reject": (lambda: contracts.decide(session, contract, request.user, False, request.POST.get("comment", "")),
                   _("Sent back to draft.")),
        "sign": (sign, _("Signed copy recorded.")),
        "revise": (revise, _("New text uploaded.")),
        "renew": (lambda: terms.renew(session, contract), _("Contract renewed.")),
        "notice": (lambda: terms.give_notice(session, contract, post_date(request, "on")), _("Notice recorded.")),
        "terminate": (lambda: terms.terminate(session, contract, post_date(request, "on"),
                                              request.POST.get("reason", "")), _("Contract terminated.")),
    }
    if name not in actions:
        raise HTTPNotFound()
    run, message = actions[name]
    return run_action(request, lambda: (run(), back)[1], message, back)
