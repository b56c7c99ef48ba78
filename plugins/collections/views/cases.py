"""The collector's queue, the case list, the case page and its workflow buttons, the contact form."""
from __future__ import annotations

import colander
import deform
from pyramid.httpexceptions import HTTPNotFound
from pyramid.view import view_config
from sqlalchemy import select
from sqlalchemy.orm import aliased, joinedload

from core.formatting import current
from core.models.user import User
from core.security import get_visible_or_404, restricted_query
from core.web import parsing
from core.web.forms import CSRFSchema, make_form, page, process
from core.web.listing import LIST_PAGE, Column, Filter, Listing, render_listing
from core.web.lookups import lookup_input
from core.web.record import history_item, record_panels
from core.web.shell import flash
from plugins.collections import services
from plugins.collections.i18n import _
from plugins.collections.models import (
    CASE_STATUSES,
    CHANNELS,
    OPEN_STATUSES,
    OUTCOMES,
    STAGES,
    ActionItem,
    Assignment,
    Case,
    Contact,
    Promise,
    RiskReport,
    StrategyAction,
)
from plugins.collections.search import CASES, QUEUE_SEARCH
from plugins.collections.services import config, queue
from plugins.collections.services.cases import business_date
from plugins.collections.views.common import (
    FORM_PAGE,
    TEMPLATES,
    date_node,
    label,
    money_node,
    run_action,
    safe_next,
    select_widget,
    text_node,
)
from plugins.lending.models import Customer, Loan


def case_url(request, case_id) -> str:
    return request.route_url("collections.case", id=case_id)


def _people():
    """What every case row shows besides the case: days past due, customer name and phone, collector."""
    return (queue.of_case(Loan.days_past_due).label("days_past_due"), queue.of_case(Customer.name).label("name"),
            queue.of_case(Customer.phone).label("phone"), queue.of_case(User.username).label("username"))


# -- the queue -------------------------------------------------------------------------------

@view_config(route_name="collections.queue", renderer=TEMPLATES + "queue.pt", permission="collections.case.view")
def my_queue(request):
    session = request.dbsession
    today = config.today(session)
    dpd, name, phone, _collector = _people()
    dialect, as_of = session.get_bind().dialect.name, business_date(session)
    priority = queue.priority(dialect, today, as_of).label("priority")
    days = queue.days_past_due(dialect, as_of)
    stmt = restricted_query(request, Case, Case.collector_id == request.user.id, Case.status.in_(OPEN_STATUSES)) \
        .add_columns(name, phone, dpd, priority, queue.next_item().label("next_item"))
    listing = Listing(request, stmt, columns=[
        Column("priority", _("Priority"), priority, value=lambda r: _flag(r, today)),
        Column("id", _("Case"), Case.id, value=lambda r: r[0].id, link=lambda req, r: case_url(req, r[0].id)),
        Column("customer", _("Customer"), name, value=lambda r: r.name),
        Column("phone", _("Phone"), None, value=lambda r: r.phone),
        Column("stage", _("Stage"), Case.stage, value=lambda r: label(r[0].stage)),
        Column("days_past_due", _("Days past due"), days, value=lambda r: r.days_past_due),
        Column("overdue", _("Overdue"), Case.overdue_amount, value=lambda r: r[0].overdue_amount, css="money"),
        Column("next_item", _("Next action"), None, value=lambda r: _next_action(r)),
        Column("status", _("Status"), Case.status, value=lambda r: label(r[0].status)),
    ], filters=[
        Filter("stage", _("Stage"), lambda s, v: s.where(Case.stage == v), tuple((x, label(x)) for x in STAGES)),
        QUEUE_SEARCH.filter(_("Customer")),
    ], default_sort="-priority", export_name="my-queue")
    result = render_listing(listing, title=_("My queue"))
    if isinstance(result, dict):
        result.update(today=today, counts=queue.today_counts(session, request.user.id, today),
                      outcomes=OUTCOMES, csrf=request.session.get_csrf_token())
    return result


def _flag(row, today):
    case = row[0]
    if case.promise_due == today:
        return _("promise due today")
    if case.broken_promises:
        fmt = current()  # a message with a value: translated here (the CSV export shows it as the page does)
        return fmt.translate(_("broken promise ×${n}", mapping={"n": fmt.number(case.broken_promises)}))
    return ""


def _next_action(row) -> str:
    case = row[0]
    fmt = current()
    parts = [fmt.label(row.next_item, "collections")] if row.next_item else []
    if case.next_action_on:
        parts.append(fmt.translate(_("follow-up ${date}", mapping={"date": fmt.date(case.next_action_on)})))
    return "; ".join(parts)


# -- every case I may see ----------------------------------------------------------------------

@view_config(route_name="collections.cases", renderer=LIST_PAGE, permission="collections.case.view")
def cases(request):
    dpd, name, _phone, collector = _people()
    stmt = restricted_query(request, Case).add_columns(name, dpd, collector)
    statuses = (("open_any", _("any open")),) + tuple((s, label(s)) for s in CASE_STATUSES)
    listing = Listing(request, stmt, columns=[
        Column("id", _("Case"), Case.id, value=lambda r: r[0].id, link=lambda req, r: case_url(req, r[0].id)),
        Column("customer", _("Customer"), name, value=lambda r: r.name),
        Column("loan", _("Loan"), Case.loan_id, value=lambda r: r[0].loan_id),
        Column("status", _("Status"), Case.status, value=lambda r: label(r[0].status)),
        Column("stage", _("Stage"), Case.stage, value=lambda r: label(r[0].stage)),
        Column("bucket", _("Bucket"), Case.bucket, value=lambda r: r[0].bucket),
        Column("days_past_due", _("Days past due"), dpd, value=lambda r: r.days_past_due),
        Column("overdue", _("Overdue"), Case.overdue_amount, value=lambda r: r[0].overdue_amount, css="money"),
        Column("collector", _("Collector"), collector, value=lambda r: r.username or "—"),
        Column("region", _("Region"), Case.region, value=lambda r: r[0].region),
        Column("opened_on", _("Opened"), Case.opened_on, value=lambda r: r[0].opened_on),
        Column("promise_due", _("Promise due"), Case.promise_due, value=lambda r: r[0].promise_due or ""),
        Column("high_risk", _("High risk"), Case.high_risk, value=lambda r: _("yes") if r[0].high_risk else ""),
    ], filters=[
        Filter("status", _("Status"), _status_filter, statuses),
        Filter("stage", _("Stage"), lambda s, v: s.where(Case.stage == v), tuple((x, label(x)) for x in STAGES)),
        Filter("collector", _("Collector"), lambda s, v: s.where(Case.collector_id.is_(None)) if v == "-"
               else s.where(Case.collector_id.in_(select(User.id).where(User.username == v)))),
        Filter("region", _("Region"), lambda s, v: s.where(Case.region == v)),
        CASES.filter(_("Customer or loan #")),
    ], default_sort="-id", export_name="collection-cases")
    intro = _("Collector '-' lists the cases waiting for assignment.")
    return render_listing(listing, title=_("Collection cases"), intro=intro)


def _status_filter(stmt, value):
    if value == "open_any":
        return stmt.where(Case.status.in_(OPEN_STATUSES))
    return stmt.where(Case.status == value)


# -- the case page ---------------------------------------------------------------------------------

def _visible_case(request) -> Case:
    """The case with its loan, installments, customer and collector in two queries, or 404 (record rules)."""
    ident = parsing.id_or_404(request.matchdict["id"], parsing.int_bound(Case.id))
    case = request.dbsession.scalars(
        restricted_query(request, Case, Case.id == ident)
        .options(joinedload(Case.loan).selectinload(Loan.installments), joinedload(Case.customer),
                 joinedload(Case.collector))).first()
    if case is None:
        raise HTTPNotFound()
    return case


@view_config(route_name="collections.case", renderer=TEMPLATES + "case.pt", permission="collections.case.view")
def case_page(request):
    case = _visible_case(request)
    session = request.dbsession
    as_of = business_date(session)
    loan = case.loan
    overdue = [i for i in loan.installments if i.paid_on is None and i.due_date < as_of]
    items = session.execute(select(ActionItem, StrategyAction.title)
                            .outerjoin(StrategyAction, StrategyAction.id == ActionItem.action_id)
                            .where(ActionItem.case_id == case.id)
                            .order_by(ActionItem.status != "due", ActionItem.due_on.desc(), ActionItem.id.desc())
                            .limit(30)).all()
    users = aliased(User)
    contacts = session.execute(select(Contact, users.username).outerjoin(users, users.id == Contact.collector_id)
                               .where(Contact.case_id == case.id).order_by(Contact.id.desc())).all()
    promises = list(session.scalars(select(Promise).where(Promise.case_id == case.id).order_by(Promise.id.desc())))
    previous = aliased(User)
    assignments = session.execute(
        select(Assignment, users.username, previous.username).outerjoin(users, users.id == Assignment.collector_id)
        .outerjoin(previous, previous.id == Assignment.previous_id)
        .where(Assignment.case_id == case.id).order_by(Assignment.id.desc())).all()
    reports = session.execute(select(RiskReport, users.username).outerjoin(users, users.id == RiskReport.reported_by_id)
                              .where(RiskReport.case_id == case.id).order_by(RiskReport.id.desc())).all() \
        if case.high_risk else []
    can_assign = request.has_permission("collections.case.assign")
    panels = record_panels(request, case, can_edit=request.has_permission("collections.contact.log"))
    panels.history = _with_assignments(request, panels.history, assignments)
    return {"title": _("Case ${id}", mapping={"id": case.id}), "case": case, "loan": loan, "customer": case.customer, "overdue": overdue,
            "as_of": as_of, "items": items, "contacts": contacts, "promises": promises, "assignments": assignments,
            "reports": reports,
            "collector_lookup": lookup_input(request, "collections.collector", "collector_id", _("Collector"))
            if can_assign and case.is_open else "",
            "can_log": request.has_permission("collections.contact.log") and case.is_open,
            "can_assign": can_assign and case.is_open,
            "can_escalate": request.has_permission("collections.case.escalate") and case.is_open
            and case.stage == "late" and case.status != "escalated",
            "can_report": request.has_permission("collections.case.report_risk"),
            "loan_link": request.has_permission("lending.loan.view"),
            "csrf": request.session.get_csrf_token(), "panels": panels}


def _with_assignments(request, history: list[dict], assignments) -> list[dict]:
    """The audit history plus the assignment history rows, newest first.

    The assignment job audits one event per collector (see services.assignment); each case's own
    assignments live in collections_assignment and are shown here as history entries.
    """
    fmt = current()
    pool = fmt.translate(_("(pool)"))
    words = [fmt.translate(w) for w in (_("Collector"), _("Reason"), _("Stage"))]
    extra = [history_item(request, a.assigned_at, a.assigned_by, "case_assigned",
                          [(words[0], previous or pool, to or pool), (words[1], None, fmt.translate(label(a.reason))),
                           (words[2], None, fmt.translate(label(a.stage)))])
             for a, to, previous in assignments if a.reason != "manual"]  # by hand: the audited update shows it
    return sorted(history + extra, key=lambda item: item["entry"].at, reverse=True)


@view_config(route_name="collections.case_assign", request_method="POST", permission="collections.case.assign")
def case_assign(request):
    case = get_visible_or_404(request, Case, request.matchdict["id"])
    return run_action(request, lambda: services.reassign(request.dbsession, case, request.POST.get("collector_id")),
                      lambda c: _("Case ${id} assigned to ${user}.", mapping={"id": c.id, "user": c.collector.username}),
                      case_url(request, case.id))


@view_config(route_name="collections.case_escalate", request_method="POST", permission="collections.case.escalate")
def case_escalate(request):
    case = get_visible_or_404(request, Case, request.matchdict["id"])
    return run_action(request, lambda: services.escalate(request.dbsession, case, request.POST.get("reason", "")),
                      _("Case ${id} escalated to legal.", mapping={"id": case.id}), case_url(request, case.id))


@view_config(route_name="collections.case_risk", request_method="POST", permission="collections.case.report_risk")
def case_risk(request):
    case = get_visible_or_404(request, Case, request.matchdict["id"])
    return run_action(request, lambda: services.report_high_risk(request.dbsession, case,
                                                                 request.POST.get("reason", ""), request.user.id),
                      _("High-risk client reported on case ${id}.", mapping={"id": case.id}), case_url(request, case.id))


@view_config(route_name="collections.item", request_method="POST", permission="collections.contact.log")
def item_finish(request):
    item = get_visible_or_404(request, ActionItem, request.matchdict["id"])
    status = request.POST.get("status", "")
    return run_action(request, lambda: services.finish_item(request.dbsession, item, status, request.user.username),
                      _("Action item marked ${status}.", mapping={"status": current().label(status, "collections")}),
                      safe_next(request, case_url(request, item.case_id)))


# -- logging a contact ---------------------------------------------------------------------------

class ContactSchema(CSRFSchema):
    channel = colander.SchemaNode(colander.String(), title=_("Channel"), widget=select_widget(
        [(c, label(c)) for c in CHANNELS]), default="call")
    outcome = colander.SchemaNode(colander.String(), title=_("Outcome"), widget=select_widget(
        [("", _("— choose —"))] + [(o, label(o)) for o in OUTCOMES]), missing="")
    note = text_node(_("Note"), _("What was said, truthfully. Needed for disputes, refusals, claims of payment, "
                                  "third parties and wrong numbers."), widget=deform.widget.TextAreaWidget(rows=3))
    message = text_node(_("Message text (SMS / email)"), _("Sent through the message gateway when the channel is "
                                                           "SMS or email."), widget=deform.widget.TextAreaWidget(rows=2))
    next_action_on = date_node(_("Next action date"), _("When to follow up (optional)."))
    promise_amount = money_node(_("Promised amount"), _("Only with the outcome 'promise to pay'."))
    promise_due = date_node(_("Promised date"), _("The day they promised to pay by."))
    next = colander.SchemaNode(colander.String(), widget=deform.widget.HiddenWidget(), missing="")


@view_config(route_name="collections.case_contact", renderer=FORM_PAGE, permission="collections.contact.log")
def case_contact(request):
    case = _visible_case(request)
    back = safe_next(request, case_url(request, case.id))
    form = make_form(request, ContactSchema(), buttons=(deform.Button("log", _("Log contact")),))

    def save(data):
        contact = services.log_contact(
            request.dbsession, case, request.user.id, channel=data["channel"], outcome=data["outcome"],
            note=data["note"], message=data["message"], next_action_on=data["next_action_on"],
            promise_amount=data["promise_amount"], promise_due=data["promise_due"])
        fmt = current()
        flash(request, _("${channel} logged on case ${id}: ${outcome}.",
                         mapping={"channel": fmt.label(contact.channel, "collections").capitalize(), "id": case.id,
                                  "outcome": fmt.label(contact.outcome, "collections")}))
        return back

    customer = case.customer
    fmt = current()
    intro = _("Case ${id} · ${name} · phone ${phone} · ${stage} stage · ${days} days past due · overdue ${amount}.",
              mapping={"id": case.id, "name": customer.name, "phone": customer.phone or "—",
                       "stage": fmt.label(case.stage, "collections"), "days": fmt.number(case.loan.days_past_due),
                       "amount": fmt.money(case.overdue_amount)})
    return page(_("Log a contact — case ${id}", mapping={"id": case.id}), process(request, form, save, appstruct={"next": back,
                                                                                          "channel": "call"}),
                intro=intro)

