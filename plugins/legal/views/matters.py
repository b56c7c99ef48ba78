"""Litigation and arbitration matters: the list (a lawyer sees theirs), a new matter, the page and its buttons."""
from __future__ import annotations

import colander
from pyramid.httpexceptions import HTTPNotFound
from pyramid.view import view_config

from core.formatting import for_request
from core.security import get_visible_or_404, restricted_query
from core.web import parsing
from core.web.forms import CSRFSchema, make_form, page, process
from core.web.listing import LIST_PAGE, Column, Filter, Listing, render_listing
from core.web.lookups import LookupWidget, lookup_input
from core.web.record import record_panels
from core.web.shell import flash
from plugins.legal.i18n import _
from plugins.legal.models import EVENT_KINDS, MATTER_KINDS, MATTER_STATUSES, Matter
from plugins.legal.search import MATTERS
from plugins.legal.services import matters
from plugins.legal.views.common import (
    FORM_PAGE,
    RECORD,
    action,
    field,
    label,
    post_date,
    post_money,
    run_action,
    select_node,
    text_node,
)
from plugins.lending.models import Loan

V, M = "legal.matter.view", "legal.matter.manage"


def matter_url(request, matter) -> str:
    return request.route_url("legal.matter", id=matter.id)


@view_config(route_name="legal.matters", renderer=LIST_PAGE, permission=V)
def matter_list(request):
    listing = Listing(request, restricted_query(request, Matter), columns=[
        Column("id", "#", Matter.id, link=matter_url),
        Column("title", _("Title"), Matter.title, link=matter_url, wide=True),
        Column("kind", _("Kind"), Matter.kind, value=lambda m: label(m.kind)),
        Column("status", _("Status"), Matter.status, value=lambda m: label(m.status), card="key"),
        Column("case_number", _("Case number"), Matter.case_number),
        Column("claim", _("Claim"), None, value=lambda m: m.claim_total, kind="money"),
        Column("recovered", _("Recovered"), Matter.recovered, kind="money"),
        Column("opened_on", _("Opened"), Matter.opened_on, kind="date"),
    ], filters=[
        MATTERS.filter(_("Search")),
        Filter("status", _("Status"), lambda stmt, v: stmt.where(Matter.status == v),
               tuple((s, label(s)) for s in MATTER_STATUSES)),
        Filter("mine", _("Mine"), lambda stmt, v: stmt.where(Matter.lawyer_id == request.user.id) if v == "1"
               else stmt, (("1", _("yes")),)),
        Filter("customer", _("Customer"), lambda stmt, v: stmt.where(Matter.customer_id == v), kind="id"),
    ], default_sort="-id", export_name="legal-matters")
    actions = [(_("New matter"), request.route_url("legal.matter_new"))] if request.has_permission(M) else []
    return render_listing(listing, title=_("Litigation and arbitration"), actions=actions)


class MatterSchema(CSRFSchema):
    title = text_node(_("Title"), missing=colander.required, validator=colander.Length(1, 200))
    kind = select_node(_("Kind"), [(k, label(k)) for k in MATTER_KINDS], default="litigation")
    loan_id = colander.SchemaNode(parsing.Id(parsing.int_bound(Loan.id)), title=_("Loan"), missing=None,
                                  widget=LookupWidget(lookup="lending.loan"))
    lawyer_id = colander.SchemaNode(parsing.Id(), title=_("Lawyer"), missing=None,
                                    widget=LookupWidget(lookup="legal.lawyer"))


@view_config(route_name="legal.matter_new", renderer=FORM_PAGE, permission=M)
def matter_new(request):
    form = make_form(request, MatterSchema(), buttons=("create",))

    def create(data):
        loan = request.dbsession.get(Loan, data["loan_id"]) if data["loan_id"] else None
        matter = matters.open_matter(request.dbsession, title=data["title"], kind=data["kind"], loan=loan,
                                     lawyer_id=data["lawyer_id"])
        flash(request, _("Matter ${id} opened.", mapping={"id": matter.id}))
        return matter_url(request, matter)

    return page(_("New matter"), process(request, form, create))


@view_config(route_name="legal.matter", renderer=RECORD, permission=V)
def matter_page(request):
    matter = get_visible_or_404(request, Matter, request.matchdict["id"])
    fmt = for_request(request)
    facts = [(_("Kind"), fmt.label(matter.kind, "legal")),
             (_("Court or body"), matter.body.name if matter.body else "—"), (_("Case number"), matter.case_number or "—"),
             (_("Lawyer"), matter.lawyer.username if matter.lawyer else "—"),
             (_("Customer"), matter.customer.name if matter.customer else "—"),
             (_("Claim: principal / interest / penalties / costs"),
              " / ".join(fmt.money(x) for x in (matter.claim_principal, matter.claim_interest,
                                                 matter.claim_penalties, matter.claim_costs))),
             (_("Claim total"), fmt.money(matter.claim_total)),
             (_("Outside counsel"), matter.outside_counsel or "—"),
             (_("Fees / costs"), f"{fmt.money(matter.fees)} / {fmt.money(matter.costs)}"),
             (_("Awarded"), fmt.money(matter.awarded)), (_("Recovered"), fmt.money(matter.recovered)),
             (_("Opened"), fmt.date(matter.opened_on)), (_("Outcome"), matter.outcome or "—")]
    if matter.collections_case_id:
        facts.append((_("From collections case"), str(matter.collections_case_id)))
    url = lambda name: request.route_url("legal.matter_action", id=matter.id, action=name)  # noqa: E731
    actions = []
    if request.has_permission(M) and matter.status != "closed":
        later = MATTER_STATUSES[MATTER_STATUSES.index(matter.status) + 1:]
        actions = [
            action("move", _("Move"), url("move"), [
                field("status", _("To"), "select", options=[(s, fmt.label(s, "legal")) for s in later]),
                {"name": "body_id", "label": _("Court or body"), "type": "lookup",
                 "html": lookup_input(request, "legal.body", "body_id", _("Court or body"), matter.body_id,
                                      oid="move-body")},
                field("case_number", _("Case number"), value=matter.case_number),
                field("awarded", _("Awarded (judgment)")), field("on", _("On"), "date"),
                field("outcome", _("Outcome"), "textarea")]),
            action("event", _("Add a hearing or deadline"), url("event"), [
                field("kind", _("Kind"), "select", options=[(k, fmt.label(k, "legal")) for k in EVENT_KINDS]),
                field("due_on", _("Date"), "date"), field("title", _("Title"))], style="outline-primary"),
            action("costs", _("Counsel, fees and costs"), url("costs"), [
                field("outside_counsel", _("Outside counsel"), value=matter.outside_counsel),
                field("fees", _("Fees"), value=str(matter.fees)), field("costs", _("Costs"), value=str(matter.costs))],
                style="outline-secondary"),
        ]
        if matter.loan_id:
            actions.append(action("recovery", _("Record money recovered"), url("recovery"), [
                field("amount", _("Amount")), field("paid_on", _("Received on"), "date")], style="success"))
    events = [[fmt.date(e.due_on), fmt.label(e.kind, "legal"), e.title, fmt.yes_no(e.done)] for e in matter.events]
    links = [(_("Loan ${id}", mapping={"id": matter.loan_id}), request.route_url("lending.loan", id=matter.loan_id))] \
        if matter.loan_id and request.has_permission("lending.loan.view") else []
    return {"title": matter.title, "status": fmt.label(matter.status, "legal"), "facts": facts, "actions": actions,
            "links": links, "notice": None, "csrf": request.session.get_csrf_token(),
            "tables": [{"id": "calendar", "title": _("Hearings and deadlines"),
                        "head": [_("Date"), _("Kind"), _("Title"), _("Done")], "rows": events,
                        "empty": _("Nothing on the calendar.")}],
            "panels": record_panels(request, matter, can_edit=request.has_permission(M))}


@view_config(route_name="legal.matter_action", request_method="POST", permission=M)
def matter_action(request):
    matter = get_visible_or_404(request, Matter, request.matchdict["id"])
    session, name, back = request.dbsession, request.matchdict["action"], matter_url(request, matter)
    post = request.POST

    def move():
        body = post.get("body_id") or None
        return matters.move(session, matter, post.get("status", ""), case_number=post.get("case_number"),
                            body_id=parsing.parse_id(body, "body_id") if body else None,
                            outcome=post.get("outcome", ""), awarded=post_money(request, "awarded", False),
                            on=post_date(request, "on", False))

    actions = {
        "move": (move, _("Matter moved.")),
        "event": (lambda: matters.add_event(session, matter, post.get("kind", ""), post_date(request, "due_on"),
                                            post.get("title", "")), _("Added to the calendar.")),
        "costs": (lambda: matters.set_costs(session, matter, outside_counsel=post.get("outside_counsel", ""),
                                            fees=post_money(request, "fees", False),
                                            costs=post_money(request, "costs", False)), _("Saved.")),
        "recovery": (lambda: matters.record_recovery(session, matter, post_money(request, "amount"),
                                                     post_date(request, "paid_on")),
                     _("Recovery posted to the loan.")),
    }
    if name not in actions:
        raise HTTPNotFound()
    run, message = actions[name]
    return run_action(request, lambda: (run(), back)[1], message, back)
