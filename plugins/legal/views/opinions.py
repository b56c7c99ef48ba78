"""Legal opinions: any department asks; the head of legal assigns; each lawyer answers from their queue."""
from __future__ import annotations

import colander
import deform
from pyramid.httpexceptions import HTTPForbidden, HTTPNotFound
from pyramid.view import view_config

from core.formatting import for_request
from core.models.user import User
from core.security import get_visible_or_404, restricted_query
from core.web import parsing
from core.web.forms import CSRFSchema, make_form, page, process
from core.web.listing import LIST_PAGE, Column, Filter, Listing, render_listing
from core.web.lookups import lookup_input
from core.web.record import record_panels
from core.web.shell import flash
from plugins.legal.i18n import _
from plugins.legal.models import OPINION_STATUSES, Opinion
from plugins.legal.search import OPINIONS
from plugins.legal.services import opinions
from plugins.legal.views.common import FORM_PAGE, RECORD, action, date_node, field, label, run_action, text_node

ASK = "legal.opinion.request"


def opinion_url(request, opinion) -> str:
    return request.route_url("legal.opinion", id=opinion.id)


@view_config(route_name="legal.opinions", renderer=LIST_PAGE, permission=ASK)
def opinion_list(request):
    """The record rule narrows it: a lawyer sees their queue and what they asked, the head of legal all."""
    listing = Listing(request, restricted_query(request, Opinion), columns=[
        Column("id", "#", Opinion.id, link=opinion_url),
        Column("subject", _("Subject"), Opinion.subject, link=opinion_url, wide=True),
        Column("department", _("Department"), Opinion.department),
        Column("due_on", _("Due"), Opinion.due_on, kind="date"),
        Column("status", _("Status"), Opinion.status, value=lambda o: label(o.status), card="key"),
    ], filters=[
        OPINIONS.filter(_("Search")),
        Filter("status", _("Status"), lambda stmt, v: stmt.where(Opinion.status == v),
               tuple((s, label(s)) for s in OPINION_STATUSES)),
        Filter("mine", _("My queue"), lambda stmt, v: stmt.where(Opinion.lawyer_id == request.user.id,
                                                                  Opinion.status == "assigned") if v == "1" else stmt,
               (("1", _("yes")),)),
    ], default_sort="due_on", export_name="legal-opinions")
    return render_listing(listing, title=_("Legal opinions"),
                          actions=[(_("Ask legal"), request.route_url("legal.opinion_new"))])


class OpinionSchema(CSRFSchema):
    subject = text_node(_("Subject"), missing=colander.required, validator=colander.Length(1, 200))
    question = text_node(_("Question"), missing=colander.required, widget=deform.widget.TextAreaWidget(rows=5))
    department = text_node(_("Department"))
    due_on = date_node(_("Needed by"))


@view_config(route_name="legal.opinion_new", renderer=FORM_PAGE, permission=ASK)
def opinion_new(request):
    form = make_form(request, OpinionSchema(), buttons=("ask",))

    def create(data):
        opinion = opinions.request_opinion(request.dbsession, subject=data["subject"], question=data["question"],
                                           requested_by_id=request.user.id, department=data["department"],
                                           due_on=data["due_on"])
        flash(request, _("Your question was sent to legal."))
        return opinion_url(request, opinion)

    return page(_("Ask legal"), process(request, form, create))


@view_config(route_name="legal.opinion", renderer=RECORD, permission=ASK)
def opinion_page(request):
    opinion = get_visible_or_404(request, Opinion, request.matchdict["id"])
    fmt = for_request(request)
    facts = [(_("Question"), opinion.question), (_("Department"), opinion.department or "—"),
             (_("Asked by"), opinion.requested_by.username if opinion.requested_by else "—"),
             (_("Needed by"), fmt.date(opinion.due_on) or "—"),
             (_("Lawyer"), opinion.lawyer.username if opinion.lawyer else "—"),
             (_("Opinion"), opinion.answer or "—"), (_("Answered on"), fmt.date(opinion.answered_on) or "—")]
    url = lambda name: request.route_url("legal.opinion_action", id=opinion.id, action=name)  # noqa: E731
    actions = []
    if opinion.status != "answered" and request.has_permission("legal.opinion.assign"):
        actions.append(action("assign", _("Assign"), url("assign"), [
            {"name": "lawyer_id", "label": _("Lawyer"), "type": "lookup",
             "html": lookup_input(request, "legal.lawyer", "lawyer_id", _("Lawyer"), opinion.lawyer_id)}]))
    if opinion.status == "assigned" and opinion.lawyer_id == request.user.id:
        actions.append(action("answer", _("Answer"), url("answer"), [field("answer", _("Opinion"), "textarea")],
                              style="success"))
    return {"title": opinion.subject, "status": fmt.label(opinion.status, "legal"), "facts": facts,
            "actions": actions, "links": [], "tables": [], "notice": None, "csrf": request.session.get_csrf_token(),
            "panels": record_panels(request, opinion, can_edit=request.has_permission("legal.opinion.answer"))}


@view_config(route_name="legal.opinion_action", request_method="POST", permission="legal.opinion.answer")
def opinion_action(request):
    opinion = get_visible_or_404(request, Opinion, request.matchdict["id"])
    session, name, back = request.dbsession, request.matchdict["action"], opinion_url(request, opinion)
    if name == "assign":
        if not request.has_permission("legal.opinion.assign"):
            raise HTTPForbidden()
        raw = request.POST.get("lawyer_id") or ""
        return run_action(request, lambda: (opinions.assign(
            session, opinion, session.get(User, parsing.parse_id(raw, "lawyer_id")) if raw else None), back)[1],
            _("Opinion assigned."), back)
    if name == "answer":
        return run_action(request, lambda: (opinions.answer(session, opinion, request.user,
                                                            request.POST.get("answer", "")), back)[1],
                          _("Opinion answered."), back)
    raise HTTPNotFound()
